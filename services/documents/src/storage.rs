//! Document content in an object store, addressed by SHA-256 (no SQL here; see `store/`).
//!
//! An upload streams into a *staging* object (`staging/<uuid>`, a multipart upload with
//! bounded parts in flight), because its hash, and so its name, is only known at the end.
//! Once the content has passed inspection and its hash is known, the staging object is
//! renamed to `objects/<aa>/<bb>/<sha256>`. On the local filesystem a multipart upload
//! writes `staging/<uuid>#1`, syncs it and renames it (object_store's `LocalFileSystem` with
//! `with_fsync(true)`: file `sync_all`, then rename, then the directory synced), and the
//! final rename syncs the directory again; a crash leaves at worst a stray staging file,
//! never a half object under a hash. Identical content renames onto itself, so it is stored
//! once; the rename also heals an object that was damaged, since the new bytes were hashed
//! as they arrived.
//!
//! An abandoned upload (the client went away, a check failed) aborts its multipart upload
//! when dropped; [`Blobs::sweep_staging`] removes what a crash left behind.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures::stream::{BoxStream, FuturesUnordered};
use futures::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{MultipartUpload, ObjectStore, ObjectStoreExt, PutPayloadMut};

use estelam_runtime::config::Settings;

/// Counts the upload bytes the service holds in memory (received but not yet written), and
/// the most it ever held: the measurable proof that a file is never buffered whole.
#[derive(Debug, Default)]
pub struct BufferGauge {
    current: AtomicU64,
    peak: AtomicU64,
}

impl BufferGauge {
    fn add(&self, n: u64) {
        let now = self.current.fetch_add(n, Ordering::SeqCst) + n;
        self.peak.fetch_max(now, Ordering::SeqCst);
        crate::metrics::UPLOAD_BUFFERED_BYTES.add(i64::try_from(n).unwrap_or(i64::MAX));
    }
    fn sub(&self, n: u64) {
        self.current.fetch_sub(n, Ordering::SeqCst);
        crate::metrics::UPLOAD_BUFFERED_BYTES.sub(i64::try_from(n).unwrap_or(i64::MAX));
    }
    /// Bytes held right now, over all uploads.
    pub fn current(&self) -> u64 {
        self.current.load(Ordering::SeqCst)
    }
    /// The most bytes held at once since start (or the last reset).
    pub fn peak(&self) -> u64 {
        self.peak.load(Ordering::SeqCst)
    }
    /// Starts a new measurement of the peak.
    pub fn reset_peak(&self) {
        self.peak.store(self.current(), Ordering::SeqCst);
    }
}

/// Why content could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// No object under that name.
    #[error("object {0} is missing")]
    Missing(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] object_store::Error),
    /// Local I/O failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// The content store.
#[derive(Debug, Clone)]
pub struct Blobs {
    store: Arc<dyn ObjectStore>,
    /// The filesystem backend's directory (for sweeping staging files object_store hides).
    local_root: Option<PathBuf>,
    part_size: usize,
    parts_in_flight: usize,
    gauge: Arc<BufferGauge>,
}

/// Where objects live, under the store's root.
const OBJECTS: &str = "objects";
/// Where uploads stream to before their hash is known.
const STAGING: &str = "staging";

impl Blobs {
    /// Opens the store the settings name: a directory (created if need be) or an S3 bucket.
    pub fn open(settings: &Settings) -> anyhow::Result<Self> {
        let docs = &settings.documents;
        match docs.uses_s3() {
            false => {
                let root = docs.storage_root(&settings.data_dir);
                std::fs::create_dir_all(&root).map_err(|e| {
                    anyhow::anyhow!(
                        "cannot create documents.storage.root {}: {e}",
                        root.display()
                    )
                })?;
                let fs = LocalFileSystem::new_with_prefix(&root)?.with_fsync(true);
                // Small parts: nothing requires more on a disk, and memory stays low.
                Ok(Self::new(Arc::new(fs), Some(root), 256 * 1024, 2))
            }
            true => {
                let s3 = &docs.storage.s3;
                let mut builder = AmazonS3Builder::from_env()
                    .with_bucket_name(&s3.bucket)
                    .with_allow_http(s3.allow_http);
                if let Some(region) = &s3.region {
                    builder = builder.with_region(region);
                }
                if let Some(endpoint) = &s3.endpoint {
                    builder = builder.with_endpoint(endpoint);
                }
                if let Some(key) = &s3.access_key_id {
                    builder = builder.with_access_key_id(key);
                }
                if let Some(secret) = &s3.secret_access_key {
                    use secrecy::ExposeSecret as _;
                    builder = builder.with_secret_access_key(secret.expose_secret());
                }
                let store = builder.build()?;
                let store: Arc<dyn ObjectStore> = match &s3.prefix {
                    Some(prefix) if !prefix.is_empty() => {
                        Arc::new(PrefixStore::new(store, prefix.as_str()))
                    }
                    _ => Arc::new(store),
                };
                // S3 parts must be at least 5 MiB (but the last); one in flight keeps memory
                // to about two parts per upload, whatever the size limit.
                Ok(Self::new(store, None, 5 * 1024 * 1024, 1))
            }
        }
    }

    /// A content store over any object store (tests use this with custom part sizes).
    pub fn new(
        store: Arc<dyn ObjectStore>,
        local_root: Option<PathBuf>,
        part_size: usize,
        parts_in_flight: usize,
    ) -> Self {
        Self {
            store,
            local_root,
            part_size: part_size.max(1),
            parts_in_flight: parts_in_flight.max(1),
            gauge: Arc::default(),
        }
    }

    /// The upload memory gauge.
    pub fn gauge(&self) -> Arc<BufferGauge> {
        self.gauge.clone()
    }

    /// The object name of content with this hash.
    pub fn object_path(sha256: &str) -> Path {
        let (a, b) = (
            &sha256[..2.min(sha256.len())],
            &sha256[2.min(sha256.len())..4.min(sha256.len())],
        );
        Path::from(format!("{OBJECTS}/{a}/{b}/{sha256}"))
    }

    /// The filesystem path of an object, on the filesystem backend (for operators and tests).
    pub fn local_path(&self, sha256: &str) -> Option<PathBuf> {
        let root = self.local_root.as_ref()?;
        Some(root.join(Self::object_path(sha256).as_ref()))
    }

    /// The filesystem directory staging objects live in, on the filesystem backend.
    pub fn local_staging_dir(&self) -> Option<PathBuf> {
        Some(self.local_root.as_ref()?.join(STAGING))
    }

    /// Starts a staging object for an upload.
    pub async fn stage(&self) -> Result<Staging, StorageError> {
        let path = Path::from(format!("{STAGING}/{}", uuid::Uuid::now_v7()));
        let upload = self.store.put_multipart(&path).await?;
        Ok(Staging {
            store: self.store.clone(),
            path,
            upload: Some(upload),
            pending: PutPayloadMut::new(),
            pending_len: 0,
            in_flight: FuturesUnordered::new(),
            held: 0,
            part_size: self.part_size,
            parts_in_flight: self.parts_in_flight,
            gauge: self.gauge.clone(),
        })
    }

    /// Moves a finished staging object to its content address. Renaming onto an existing
    /// object of the same hash is harmless (identical bytes) and repairs a damaged one.
    pub async fn publish(&self, staged: StagedObject, sha256: &str) -> Result<(), StorageError> {
        let mut staged = staged;
        self.store
            .rename(&staged.path, &Self::object_path(sha256))
            .await?;
        staged.published = true;
        Ok(())
    }

    /// Opens content for reading: its size and its bytes, in pieces.
    pub async fn open_object(
        &self,
        sha256: &str,
    ) -> Result<(u64, BoxStream<'static, Result<Bytes, StorageError>>), StorageError> {
        let result = self
            .store
            .get(&Self::object_path(sha256))
            .await
            .map_err(|e| match e {
                object_store::Error::NotFound { .. } => StorageError::Missing(sha256.to_owned()),
                other => StorageError::Store(other),
            })?;
        let size = result.meta.size;
        Ok((
            size,
            result.into_stream().map_err(StorageError::from).boxed(),
        ))
    }

    /// Every stored object: its hash (from its name) and size.
    pub async fn list_objects(&self) -> Result<Vec<(String, u64)>, StorageError> {
        let mut out = Vec::new();
        let mut listing = self.store.list(Some(&Path::from(OBJECTS)));
        while let Some(meta) = listing.next().await {
            let meta = meta?;
            if let Some(name) = meta.location.filename() {
                out.push((name.to_owned(), meta.size));
            }
        }
        out.sort();
        Ok(out)
    }

    /// Deletes staging objects older than `older_than`: leftovers of a crash. Uploads in
    /// progress (here or in another replica) are younger. On S3, incomplete multipart
    /// uploads are the bucket's lifecycle rule's job (`AbortIncompleteMultipartUpload`).
    pub async fn sweep_staging(&self, older_than: Duration) -> Result<usize, StorageError> {
        let mut removed = 0;
        if let Some(dir) = self.local_staging_dir() {
            // object_store hides its own `name#n` part files from listings: walk the directory.
            let entries = match std::fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
                Err(e) => return Err(e.into()),
            };
            for entry in entries {
                let entry = entry?;
                let age = entry.metadata()?.modified()?.elapsed().unwrap_or_default();
                if age >= older_than && entry.file_type()?.is_file() {
                    std::fs::remove_file(entry.path())?;
                    removed += 1;
                }
            }
            return Ok(removed);
        }
        let cutoff = chrono_cutoff(older_than);
        let mut listing = self.store.list(Some(&Path::from(STAGING)));
        while let Some(meta) = listing.next().await {
            let meta = meta?;
            if meta.last_modified.timestamp() <= cutoff {
                self.store.delete(&meta.location).await?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

fn chrono_cutoff(older_than: Duration) -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(now.saturating_sub(older_than).as_secs()).unwrap_or(i64::MAX)
}

/// An upload streaming into a staging object. Dropped unfinished, it aborts the upload.
pub struct Staging {
    store: Arc<dyn ObjectStore>,
    path: Path,
    upload: Option<Box<dyn MultipartUpload>>,
    pending: PutPayloadMut,
    pending_len: usize,
    in_flight:
        FuturesUnordered<futures::future::BoxFuture<'static, Result<u64, object_store::Error>>>,
    /// Bytes counted in the gauge by this upload.
    held: u64,
    part_size: usize,
    parts_in_flight: usize,
    gauge: Arc<BufferGauge>,
}

impl Staging {
    /// Appends a piece; waits while too many parts are in flight (backpressure on the client).
    pub async fn write(&mut self, chunk: Bytes) -> Result<(), StorageError> {
        let n = chunk.len();
        self.gauge.add(n as u64);
        self.held += n as u64;
        self.pending.push(chunk);
        self.pending_len += n;
        if self.pending_len >= self.part_size {
            self.send_part()?;
            while self.in_flight.len() > self.parts_in_flight {
                self.wait_one().await?;
            }
        }
        Ok(())
    }

    fn send_part(&mut self) -> Result<(), StorageError> {
        let Some(upload) = self.upload.as_mut() else {
            return Err(StorageError::Store(object_store::Error::NotImplemented {
                operation: "write after finish".into(),
                implementer: "Staging".into(),
            }));
        };
        let payload = std::mem::take(&mut self.pending).freeze();
        let len = std::mem::take(&mut self.pending_len) as u64;
        let part = upload.put_part(payload);
        self.in_flight
            .push(Box::pin(async move { part.await.map(|()| len) }));
        Ok(())
    }

    async fn wait_one(&mut self) -> Result<(), StorageError> {
        if let Some(done) = self.in_flight.next().await {
            let len = done?;
            self.gauge.sub(len);
            self.held -= len;
        }
        Ok(())
    }

    /// Writes what is left and completes the staging object (synced, on the filesystem).
    pub async fn finish(mut self) -> Result<StagedObject, StorageError> {
        if self.pending_len > 0 {
            self.send_part()?;
        }
        while !self.in_flight.is_empty() {
            self.wait_one().await?;
        }
        if let Some(upload) = self.upload.as_mut() {
            upload.complete().await?;
        }
        self.upload = None;
        Ok(StagedObject {
            store: self.store.clone(),
            path: self.path.clone(),
            published: false,
        })
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        self.gauge.sub(self.held);
        if let Some(mut upload) = self.upload.take() {
            // Abort in the background: the local backend deletes its part file, S3 drops the
            // uploaded parts. Without a runtime, dropping the local upload still deletes it.
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                let path = self.path.clone();
                runtime.spawn(async move {
                    if let Err(err) = upload.abort().await {
                        tracing::warn!(%path, error = %err, "could not abort an abandoned upload");
                    }
                });
            }
        }
    }
}

/// A complete staging object, not yet under its hash. Dropped unpublished, it is deleted.
pub struct StagedObject {
    store: Arc<dyn ObjectStore>,
    path: Path,
    published: bool,
}

impl Drop for StagedObject {
    fn drop(&mut self) {
        if self.published {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (store, path) = (self.store.clone(), self.path.clone());
            runtime.spawn(async move {
                if let Err(err) = store.delete(&path).await {
                    tracing::warn!(%path, error = %err, "could not delete an unused staging object");
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Digest as _;

    fn local(dir: &std::path::Path, part: usize) -> Blobs {
        let fs = LocalFileSystem::new_with_prefix(dir)
            .expect("dir exists")
            .with_fsync(true);
        Blobs::new(Arc::new(fs), Some(dir.to_path_buf()), part, 2)
    }

    async fn staging_is_empty(blobs: &Blobs) -> bool {
        let dir = blobs.local_staging_dir().expect("local");
        std::fs::read_dir(dir)
            .map(|mut d| d.next().is_none())
            .unwrap_or(true)
    }

    /// Polls `condition` until it holds or a generous deadline passes.
    async fn eventually<F: AsyncFnMut() -> bool>(mut condition: F) -> bool {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while tokio::time::Instant::now() < deadline {
            if condition().await {
                return true;
            }
            tokio::task::yield_now().await;
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        false
    }

    #[tokio::test]
    async fn content_lands_under_its_hash_with_bounded_memory() {
        let dir = tempfile::tempdir().expect("tempdir");
        let blobs = local(dir.path(), 1000);
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let mut staging = blobs.stage().await.expect("stage");
        for piece in data.chunks(333) {
            staging
                .write(Bytes::copy_from_slice(piece))
                .await
                .expect("write");
        }
        let staged = staging.finish().await.expect("finish");
        let sha = hex::encode(sha2::Sha256::digest(&data));
        blobs.publish(staged, &sha).await.expect("publish");
        assert_eq!(
            std::fs::read(blobs.local_path(&sha).expect("local")).expect("read"),
            data
        );
        assert!(
            blobs.gauge().peak() < 5_000,
            "peak {}",
            blobs.gauge().peak()
        );
        assert_eq!(blobs.gauge().current(), 0);
        assert!(staging_is_empty(&blobs).await);
        assert_eq!(
            blobs.list_objects().await.expect("list"),
            vec![(sha, data.len() as u64)]
        );
    }

    #[tokio::test]
    async fn an_abandoned_upload_leaves_no_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let blobs = local(dir.path(), 100);
        let mut staging = blobs.stage().await.expect("stage");
        staging
            .write(Bytes::from_static(&[7; 1000]))
            .await
            .expect("write");
        assert!(!staging_is_empty(&blobs).await);
        drop(staging);
        assert!(eventually(async || staging_is_empty(&blobs).await).await);
        let staged = blobs
            .stage()
            .await
            .expect("stage")
            .finish()
            .await
            .expect("finish");
        drop(staged);
        assert!(eventually(async || staging_is_empty(&blobs).await).await);
        assert!(blobs.list_objects().await.expect("list").is_empty());
    }

    #[tokio::test]
    async fn a_remote_style_store_works_the_same() {
        // InMemory behaves like S3 here: multipart parts, rename as copy-and-delete.
        let blobs = Blobs::new(
            Arc::new(object_store::memory::InMemory::new()),
            None,
            1000,
            1,
        );
        let data = vec![42u8; 10_000];
        let mut staging = blobs.stage().await.expect("stage");
        for piece in data.chunks(700) {
            staging
                .write(Bytes::copy_from_slice(piece))
                .await
                .expect("write");
        }
        let sha = hex::encode(sha2::Sha256::digest(&data));
        blobs
            .publish(staging.finish().await.expect("finish"), &sha)
            .await
            .expect("publish");
        let (size, stream) = blobs.open_object(&sha).await.expect("open");
        let read: Vec<Bytes> = stream.try_collect().await.expect("read");
        assert_eq!((size, read.concat()), (data.len() as u64, data));
        assert!(matches!(
            blobs.open_object(&"0".repeat(64)).await,
            Err(StorageError::Missing(_))
        ));
        assert_eq!(blobs.sweep_staging(Duration::ZERO).await.expect("sweep"), 0);
    }

    #[test]
    fn the_s3_backend_is_built_from_settings() {
        let docs: estelam_runtime::config::DocumentsSettings = toml::from_str(
            "[storage]\nbackend = \"s3\"\n[storage.s3]\nbucket = \"estelam\"\nendpoint = \"http://127.0.0.1:9000\"\n\
             region = \"us-east-1\"\nallow_http = true\nprefix = \"test\"\naccess_key_id = \"k\"\nsecret_access_key = \"s\"\n",
        )
        .expect("settings");
        docs.validate().expect("valid");
        let settings = Settings {
            documents: docs,
            ..Settings::default()
        };
        let blobs = Blobs::open(&settings).expect("builds without connecting");
        assert!(blobs.local_root.is_none() && blobs.part_size >= 5 * 1024 * 1024);
    }

    #[tokio::test]
    async fn sweeping_removes_crash_leftovers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let blobs = local(dir.path(), 100);
        std::fs::create_dir_all(dir.path().join("staging")).expect("mkdir");
        std::fs::write(dir.path().join("staging/0190-crashed#1"), b"half").expect("write");
        assert_eq!(
            blobs
                .sweep_staging(Duration::from_secs(3600))
                .await
                .expect("sweep"),
            0
        );
        assert_eq!(blobs.sweep_staging(Duration::ZERO).await.expect("sweep"), 1);
        assert!(staging_is_empty(&blobs).await);
    }
}
