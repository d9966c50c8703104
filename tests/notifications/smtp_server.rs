//! A small SMTP server for the tests, speaking real SMTP over TCP (RFC 5321: greeting,
//! EHLO, MAIL, RCPT, DATA with dot-stuffing, QUIT). It keeps every message it accepted
//! and can be told to refuse the next transactions with `451` (a temporary failure, which
//! a client must retry later).

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// One message accepted.
#[derive(Debug, Clone)]
pub struct Mail {
    /// The envelope recipients.
    pub to: Vec<String>,
    /// The message as sent (headers and body), unstuffed.
    pub data: String,
}

impl Mail {
    fn headers(&self) -> Vec<(String, String)> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or_default();
        let mut out: Vec<(String, String)> = Vec::new();
        for line in head.split("\r\n") {
            if line.starts_with([' ', '\t']) {
                // A folded line continues the header after a space (RFC 5322 2.2.3).
                if let Some(last) = out.last_mut() {
                    last.1.push(' ');
                    last.1.push_str(line.trim_start());
                }
            } else if let Some((name, value)) = line.split_once(':') {
                out.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
            }
        }
        out
    }

    /// A header's value, as sent.
    pub fn header(&self, name: &str) -> Option<String> {
        let name = name.to_ascii_lowercase();
        self.headers()
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
    }

    /// The subject, RFC 2047 encoded words decoded.
    pub fn subject(&self) -> String {
        decode_words(&self.header("subject").unwrap_or_default())
    }

    /// The body, base64 decoded (the sender always uses base64).
    pub fn body(&self) -> String {
        let body = self
            .data
            .split_once("\r\n\r\n")
            .map(|(_, b)| b)
            .unwrap_or_default();
        let joined: String = body.split_whitespace().collect();
        base64::engine::general_purpose::STANDARD
            .decode(joined.as_bytes())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_else(|_| body.to_owned())
    }
}

/// `=?utf-8?b?…?=` words decoded and joined; plain text kept.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    for word in value.split_whitespace() {
        let lower = word.to_ascii_lowercase();
        if lower.starts_with("=?utf-8?b?") && word.ends_with("?=") {
            let inner = &word[10..word.len() - 2];
            if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(inner) {
                out.push_str(&String::from_utf8_lossy(&bytes));
                continue;
            }
        }
        if !out.is_empty() && !lower.starts_with("=?") {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[derive(Default)]
struct State {
    accepted: Vec<Mail>,
    refuse_next: usize,
    refused: usize,
}

/// The running server.
#[derive(Clone)]
pub struct SmtpServer {
    /// Its port on 127.0.0.1.
    pub port: u16,
    state: Arc<Mutex<State>>,
}

impl SmtpServer {
    /// Binds a free port and serves until the test ends.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind SMTP");
        let port = listener.local_addr().expect("addr").port();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = shared.clone();
                tokio::spawn(async move {
                    let _ = session(stream, state).await;
                });
            }
        });
        Self { port, state }
    }

    /// Refuses the next `n` transactions with 451.
    pub fn refuse_next(&self, n: usize) {
        self.state.lock().expect("lock").refuse_next = n;
    }

    /// Transactions refused so far.
    pub fn refused(&self) -> usize {
        self.state.lock().expect("lock").refused
    }

    /// Every message accepted so far.
    pub fn accepted(&self) -> Vec<Mail> {
        self.state.lock().expect("lock").accepted.clone()
    }
}

async fn session(stream: TcpStream, state: Arc<Mutex<State>>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 estelam-test ESMTP\r\n").await?;
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let upper = command.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-estelam-test\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("HELO") {
            b"250 estelam-test\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            let mut s = state.lock().expect("lock");
            to.clear();
            if s.refuse_next > 0 {
                s.refuse_next -= 1;
                s.refused += 1;
                b"451 4.3.0 Try again later\r\n"
            } else {
                b"250 2.1.0 OK\r\n"
            }
        } else if upper.starts_with("RCPT TO:") {
            let addr = command[8..].trim().trim_start_matches('<');
            let addr = addr.split('>').next().unwrap_or_default().to_owned();
            to.push(addr);
            b"250 2.1.5 OK\r\n"
        } else if upper == "DATA" {
            write
                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await?;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                let unstuffed = line
                    .strip_prefix('.')
                    .filter(|_| line.starts_with(".."))
                    .unwrap_or(&line);
                data.push_str(unstuffed);
            }
            state.lock().expect("lock").accepted.push(Mail {
                to: std::mem::take(&mut to),
                data,
            });
            b"250 2.0.0 OK queued\r\n"
        } else if upper == "RSET" || upper == "NOOP" {
            b"250 2.0.0 OK\r\n"
        } else if upper == "QUIT" {
            write.write_all(b"221 2.0.0 Bye\r\n").await?;
            return Ok(());
        } else {
            b"502 5.5.2 Command not implemented\r\n"
        };
        write.write_all(reply).await?;
    }
}
