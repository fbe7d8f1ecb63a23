#define FFI_SCOPE "OKR"
#define FFI_LIB "libokr_ffi.so"
/* PHP FFI header of libokr_ffi, derived from okr-ffi/include/okr.h. Do not edit:
   regenerate with `OKR_BLESS=1 cargo test -p okr-ffi --test it header`.
   FFI_LIB is found by the dynamic loader (LD_LIBRARY_PATH, ldconfig) or may be made an
   absolute path when installing. */
typedef uint32_t okr_result;

typedef struct okr_bytes okr_bytes;

typedef struct okr_engine okr_engine;

typedef struct okr_error okr_error;

typedef struct okr_subscription okr_subscription;
const char *okr_version(void);
uint32_t okr_abi_version(void);
const uint8_t *okr_bytes_data(const okr_bytes *bytes);
size_t okr_bytes_len(const okr_bytes *bytes);
void okr_bytes_free(okr_bytes *bytes);
okr_result okr_engine_open(const char *path,
                           size_t path_len,
                           const char *options,
                           size_t options_len,
                           okr_engine **out,
                           okr_error **err);
okr_result okr_engine_shutdown(const okr_engine *engine, okr_error **err);
void okr_engine_close(okr_engine *engine);
okr_result okr_engine_execute(const okr_engine *engine,
                              const char *json,
                              size_t json_len,
                              okr_bytes **out,
                              okr_error **err);
okr_result okr_engine_execute_batch(const okr_engine *engine,
                                    const char *json,
                                    size_t json_len,
                                    okr_bytes **out,
                                    okr_error **err);
okr_result okr_engine_query(const okr_engine *engine,
                            const char *json,
                            size_t json_len,
                            okr_bytes **out,
                            okr_error **err);
okr_result okr_engine_export(const okr_engine *engine, okr_bytes **out, okr_error **err);
okr_result okr_engine_import(const okr_engine *engine,
                             const char *data,
                             size_t data_len,
                             okr_error **err);
okr_result okr_engine_events_since(const okr_engine *engine,
                                   uint64_t position,
                                   size_t max,
                                   okr_bytes **out,
                                   okr_error **err);
okr_result okr_engine_flush(const okr_engine *engine, okr_error **err);
okr_result okr_engine_verify(const okr_engine *engine, okr_bytes **out, okr_error **err);
okr_result okr_engine_validate(const okr_engine *engine,
                               const char *json,
                               size_t json_len,
                               okr_bytes **out,
                               okr_error **err);
okr_result okr_engine_subscribe(const okr_engine *engine,
                                uint64_t from,
                                okr_subscription **out,
                                okr_error **err);
const char *okr_result_str(uint32_t code);
okr_result okr_error_code(const okr_error *err);
const char *okr_error_message(const okr_error *err);
void okr_error_free(okr_error *err);
okr_result okr_subscription_next(const okr_subscription *sub,
                                 size_t max,
                                 uint64_t timeout_ms,
                                 okr_bytes **out,
                                 okr_error **err);
void okr_subscription_free(okr_subscription *sub);
