//! The `okr_bytes` output buffer.

/// An output buffer (JSON or JSON Lines, UTF-8) owned by the caller until freed with
/// `okr_bytes_free`. Read it with `okr_bytes_data` and `okr_bytes_len`; the data is also
/// followed by a NUL byte, so `okr_bytes_data` can be used as a C string.
#[derive(Debug)]
pub struct okr_bytes {
    /// The data followed by one NUL byte.
    data: Box<[u8]>,
}

impl okr_bytes {
    /// Wraps data, appending the trailing NUL.
    pub(crate) fn new(mut data: Vec<u8>) -> okr_bytes {
        data.push(0);
        okr_bytes {
            data: data.into_boxed_slice(),
        }
    }

    /// The data without the trailing NUL.
    pub fn as_slice(&self) -> &[u8] {
        &self.data[..self.data.len() - 1]
    }
}

/// A pointer to the first byte of the buffer, valid until `okr_bytes_free`; the
/// `okr_bytes_len` bytes there are followed by a NUL byte. NULL for NULL.
///
/// # Safety
///
/// `bytes` is NULL or a pointer from this library not yet passed to `okr_bytes_free`.
#[no_mangle]
pub unsafe extern "C" fn okr_bytes_data(bytes: *const okr_bytes) -> *const u8 {
    // SAFETY: the caller passes NULL or a live buffer from this library.
    match unsafe { bytes.as_ref() } {
        Some(b) => b.data.as_ptr(),
        None => std::ptr::null(),
    }
}

/// The length of the buffer in bytes, without the trailing NUL; 0 for NULL.
///
/// # Safety
///
/// `bytes` is NULL or a pointer from this library not yet passed to `okr_bytes_free`.
#[no_mangle]
pub unsafe extern "C" fn okr_bytes_len(bytes: *const okr_bytes) -> usize {
    // SAFETY: the caller passes NULL or a live buffer from this library.
    match unsafe { bytes.as_ref() } {
        Some(b) => b.as_slice().len(),
        None => 0,
    }
}

/// Frees a buffer. NULL is accepted and ignored.
///
/// # Safety
///
/// `bytes` is NULL or a pointer from this library, freed at most once.
#[no_mangle]
pub unsafe extern "C" fn okr_bytes_free(bytes: *mut okr_bytes) {
    if !bytes.is_null() {
        // SAFETY: a non-NULL `bytes` came from `Box::into_raw` in this library, freed once.
        drop(unsafe { Box::from_raw(bytes) });
    }
}
