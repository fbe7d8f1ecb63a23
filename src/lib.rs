//! okr
