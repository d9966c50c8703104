//! Settings only the documents service reads.
//!
//! ```toml
//! [documents]
//! max_document_bytes = 10485760      # 10 MiB
//! quota_max_count = 50
//! quota_max_bytes = 209715200        # 200 MiB
//!
//! [documents.storage]
//! backend = "filesystem"             # or "s3"
//! root = "/var/lib/estelam/documents" # default: <data_dir>/documents
//!
//! [documents.storage.s3]             # only with backend = "s3" (MinIO, Ceph, AWS)
//! bucket = "estelam-documents"
//! endpoint = "http://minio:9000"
//! region = "us-east-1"
//! access_key_id = "…"
//! secret_access_key = "…"            # or AWS_* environment variables
//! ```

use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::ConfigError;

/// One mebibyte, the unit sizes are usually thought in.
const MIB: u64 = 1024 * 1024;

/// The `[documents]` section of the settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DocumentsSettings {
    /// Where document content is kept.
    pub storage: DocumentStorageSettings,
    /// Largest single document accepted, in bytes; enforced while the upload streams.
    pub max_document_bytes: u64,
    /// Most documents one owner may have.
    pub quota_max_count: u64,
    /// Most bytes of documents one owner may have.
    pub quota_max_bytes: u64,
    /// Most pixels (width × height) an image may declare; more is a pixel flood.
    pub max_image_pixels: u64,
    /// Longest side an image may declare, in pixels.
    pub max_image_side_px: u32,
    /// Most bytes of compressed PDF object streams inflated to look for scripts and actions;
    /// a PDF needing more is refused (a decompression bomb, or no ID card or deed).
    pub max_pdf_inflated_bytes: u64,
}

impl Default for DocumentsSettings {
    fn default() -> Self {
        Self {
            storage: DocumentStorageSettings::default(),
            max_document_bytes: 10 * MIB,
            quota_max_count: 50,
            quota_max_bytes: 200 * MIB,
            max_image_pixels: 50_000_000,
            max_image_side_px: 20_000,
            max_pdf_inflated_bytes: 64 * MIB,
        }
    }
}

/// Which object store holds document content.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DocumentBackend {
    /// A directory on local disk (the embedded default).
    #[default]
    Filesystem,
    /// An S3-compatible bucket: MinIO, Ceph RGW, AWS S3.
    S3,
}

/// `[documents.storage]`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DocumentStorageSettings {
    /// `filesystem` (default) or `s3`.
    pub backend: DocumentBackend,
    /// Directory of the filesystem backend; default `<data_dir>/documents`.
    pub root: Option<PathBuf>,
    /// The bucket of the `s3` backend.
    pub s3: S3Settings,
}

/// `[documents.storage.s3]`: an S3-compatible bucket. Unset values fall back to the standard
/// `AWS_*` environment variables.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct S3Settings {
    /// Bucket name.
    pub bucket: String,
    /// Region (MinIO accepts any; `us-east-1` is customary).
    pub region: Option<String>,
    /// Endpoint URL for non-AWS servers, e.g. `http://minio:9000`.
    pub endpoint: Option<String>,
    /// Key prefix inside the bucket, so one bucket can hold several deployments.
    pub prefix: Option<String>,
    /// Access key id.
    pub access_key_id: Option<String>,
    /// Secret access key.
    #[serde(serialize_with = "expose_opt")]
    pub secret_access_key: Option<SecretString>,
    /// Allow plain `http://` endpoints (a MinIO inside the cluster).
    pub allow_http: bool,
}

fn expose_opt<S: serde::Serializer>(v: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
    v.as_ref()
        .map(|x| x.expose_secret().to_owned())
        .serialize(s)
}

impl DocumentsSettings {
    /// The filesystem backend's directory: the configured root, else `<data_dir>/documents`.
    pub fn storage_root(&self, data_dir: &Path) -> PathBuf {
        self.storage
            .root
            .clone()
            .unwrap_or_else(|| data_dir.join("documents"))
    }

    /// True when content goes to an S3-compatible bucket rather than a directory.
    pub fn uses_s3(&self) -> bool {
        self.storage.backend == DocumentBackend::S3
    }

    /// Checks what types alone cannot; the message names the wrong setting.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let positive = [
            ("documents.max_document_bytes", self.max_document_bytes),
            ("documents.quota_max_count", self.quota_max_count),
            ("documents.quota_max_bytes", self.quota_max_bytes),
            ("documents.max_image_pixels", self.max_image_pixels),
            (
                "documents.max_image_side_px",
                u64::from(self.max_image_side_px),
            ),
            (
                "documents.max_pdf_inflated_bytes",
                self.max_pdf_inflated_bytes,
            ),
        ];
        for (name, value) in positive {
            if value == 0 {
                return Err(ConfigError(format!("{name} must be at least 1")));
            }
        }
        // Sizes travel as int64 on the wire and in the database.
        if i64::try_from(self.quota_max_bytes).is_err()
            || i64::try_from(self.max_document_bytes).is_err()
        {
            return Err(ConfigError(
                "documents.quota_max_bytes and documents.max_document_bytes must fit in 63 bits"
                    .into(),
            ));
        }
        if self.max_document_bytes > self.quota_max_bytes {
            return Err(ConfigError(
                "documents.max_document_bytes must not exceed documents.quota_max_bytes".into(),
            ));
        }
        if self.storage.backend == DocumentBackend::S3 {
            if self.storage.s3.bucket.is_empty() {
                return Err(ConfigError(
                    "documents.storage.s3.bucket must be set when documents.storage.backend = \"s3\"".into(),
                ));
            }
            if let Some(endpoint) = &self.storage.s3.endpoint
                && !(endpoint.starts_with("https://") || endpoint.starts_with("http://"))
            {
                return Err(ConfigError(
                    "documents.storage.s3.endpoint must be an http(s):// URL".into(),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_keep_documents_under_the_data_dir() {
        let s = DocumentsSettings::default();
        s.validate().expect("defaults are valid");
        assert_eq!(s.max_document_bytes, 10 * MIB);
        assert_eq!(
            s.storage_root(Path::new("/d")),
            PathBuf::from("/d/documents")
        );
    }

    #[test]
    fn s3_needs_a_bucket_and_the_message_names_it() {
        let mut s = DocumentsSettings::default();
        s.storage.backend = DocumentBackend::S3;
        let err = s.validate().expect_err("no bucket");
        assert!(
            err.to_string().contains("documents.storage.s3.bucket"),
            "{err}"
        );
        s.storage.s3.bucket = "b".into();
        s.storage.s3.secret_access_key = Some(SecretString::from("hunter2"));
        s.validate().expect("valid");
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn a_zero_limit_is_named() {
        let s = DocumentsSettings {
            quota_max_count: 0,
            ..DocumentsSettings::default()
        };
        let err = s.validate().expect_err("zero");
        assert!(
            err.to_string().contains("documents.quota_max_count"),
            "{err}"
        );
    }
}
