//! Integration tests of okr-ffi: one binary. They drive the C ABI through its extern
//! functions (`abi`, `fuzz`), from a real C program (`c`, also under valgrind) and from a
//! Python ctypes client (`python`), check that the committed header has not drifted
//! (`header`) and that every message conforms to its committed JSON Schema (`conformance`).

mod abi;
mod abi_more;
mod c;
mod conformance;
mod fuzz;
mod header;
mod php;
mod python;
mod support;
