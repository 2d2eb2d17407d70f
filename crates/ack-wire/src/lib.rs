//! Everything about ACK's wire format that is not the server itself, so that the server, the
//! tests and the load generator share one definition.

pub mod action;
pub mod dto;
pub mod error_code;
pub mod openapi;
pub mod sign;
pub mod time;
pub mod xml;

pub use action::{Action, Method, ROUTES, Route};
pub use error_code::ErrorCode;
