//! # pika-aws-adapters
//!
//! The AWS adapters of Pika's ports, each behind its own cargo feature so a
//! binary compiles only the SDKs it uses. So far:
//!
//! | feature | module | port |
//! |---|---|---|
//! | `emf` | [`emf`] | metrics as CloudWatch embedded metric format JSON lines (no AWS SDK) |

#[cfg(feature = "emf")]
pub mod emf;
