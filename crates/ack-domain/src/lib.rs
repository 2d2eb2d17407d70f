//! The pure domain: no HTTP, no SQL. Everything here is unit-testable in microseconds.

pub mod catalog;
pub mod clock;
pub mod cluster;
pub mod error;
pub mod event;
pub mod fleet;
pub mod fleet_file;
pub mod ids;
pub mod instance;
pub mod lifecycle;
pub mod name;
pub mod ratelimit;
pub mod rollout;
pub mod status;
pub mod tag;
pub mod task;
pub mod version;
pub mod webhook;

pub use catalog::{Catalog, CatalogAddon, CatalogVersion};
pub use clock::Clock;
pub use error::DomainError;
pub use ids::{AddonName, ClusterId, RolloutId, TaskId};
pub use name::ClusterName;
pub use tag::Tag;
