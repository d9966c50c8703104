//! The notifications service's use cases: [`preferences`] (a person's own choices) and
//! [`sender`] (notices resolved into deliveries, and deliveries handed to the providers with
//! retries).

pub mod preferences;
pub mod sender;

use std::sync::Arc;

use estelam_runtime::config::NotificationsSettings;
use estelam_runtime::db::Database;
use tokio::sync::Notify;

use crate::directory::Directory;
use crate::providers::Providers;

/// What every use case shares. Cheap to clone.
#[derive(Clone)]
pub struct Notifications {
    pub(crate) db: Database,
    pub(crate) settings: Arc<NotificationsSettings>,
    pub(crate) providers: Providers,
    pub(crate) directory: Arc<dyn Directory>,
    pub(crate) wake: Arc<Notify>,
}

impl Notifications {
    /// The service over `db`, sending through `providers` and finding people in `directory`.
    pub fn new(
        db: Database,
        settings: NotificationsSettings,
        providers: Providers,
        directory: Arc<dyn Directory>,
    ) -> Self {
        Self {
            db,
            settings: Arc::new(settings),
            providers,
            directory,
            wake: Arc::new(Notify::new()),
        }
    }

    /// Wakes the sender (after a notice is written).
    pub fn wake(&self) -> Arc<Notify> {
        self.wake.clone()
    }
}
