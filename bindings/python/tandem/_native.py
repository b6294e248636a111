"""The C ABI of tandem.h, declared for ctypes. Private: use the classes of `tandem`."""

import ctypes
import os
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    c_bool,
    c_char_p,
    c_double,
    c_int64,
    c_size_t,
    c_uint32,
    c_uint64,
    c_void_p,
)
from pathlib import Path

CLOCK = CFUNCTYPE(c_int64, c_void_p)


class ClientOptions(Structure):
    _fields_ = [
        ("clock", CLOCK),
        ("clock_user_data", c_void_p),
        ("entropy", c_uint64),
        ("events_capacity", c_size_t),
        ("exposure_dedup_capacity", c_size_t),
        ("sticky_capacity", c_size_t),
    ]


class Stats(Structure):
    _fields_ = [
        ("queued", c_uint64),
        ("dropped", c_uint64),
        ("deduplicated", c_uint64),
        ("decisions", c_uint64),
        ("sticky_assignments", c_uint64),
    ]


class EvalOptions(Structure):
    _fields_ = [
        ("decision_key", c_char_p),
        ("decision_key_len", c_size_t),
        ("eligible_json", c_char_p),
        ("eligible_json_len", c_size_t),
        ("now_unix_millis", c_int64),
        ("has_now", c_bool),
    ]


class Read(Structure):
    _fields_ = [
        ("reason", c_uint32),
        ("error_code", c_uint32),
        ("value_json", c_void_p),
        ("value_json_len", c_size_t),
        ("variant", c_void_p),
        ("variant_len", c_size_t),
    ]


def _candidates():
    """Where the cdylib may be: $TANDEM_LIBRARY, then this checkout's cargo build folders."""
    explicit = os.environ.get("TANDEM_LIBRARY")
    if explicit:
        yield Path(explicit)
        return
    root = Path(__file__).resolve().parents[3]
    for profile in ("release", "debug"):
        yield root / "target" / profile / "libtandem_ffi.so"
        yield root / "target" / profile / "libtandem_ffi.dylib"


def _load():
    tried = []
    for path in _candidates():
        if path.is_file():
            return ctypes.CDLL(str(path))
        tried.append(str(path))
    raise OSError(
        "libtandem_ffi not found (run `cargo build --release -p tandem-ffi`, or set "
        "TANDEM_LIBRARY); tried: " + ", ".join(tried)
    )


lib = _load()

P = c_void_p
S = c_char_p
Z = c_size_t
ST = c_uint32  # tandem_status
OUT_P = POINTER(c_void_p)
OUT_Z = POINTER(c_size_t)
OUT_TEXT = POINTER(c_void_p)

_SIGNATURES = {
    "tandem_last_error": (Z, [c_void_p, Z]),
    "tandem_status_name": (S, [c_uint32]),
    "tandem_buf_free": (None, [c_void_p, Z]),
    "tandem_entropy": (ST, [POINTER(c_uint64)]),
    "tandem_client_options_default": (ST, [POINTER(ClientOptions)]),
    "tandem_client_new": (ST, [S, Z, POINTER(ClientOptions), OUT_P]),
    "tandem_client_new_precomputed": (ST, [S, Z, POINTER(ClientOptions), OUT_P]),
    "tandem_client_free": (None, [P]),
    "tandem_client_update": (ST, [P, S, Z]),
    "tandem_client_update_precomputed": (ST, [P, S, Z]),
    "tandem_client_last_error": (Z, [P, c_void_p, Z]),
    "tandem_client_track": (ST, [P, S, Z, S, Z, POINTER(c_double), S, Z]),
    "tandem_client_drain_events": (ST, [P, OUT_TEXT, OUT_Z]),
    "tandem_client_stats": (ST, [P, POINTER(Stats)]),
    "tandem_client_export_sticky": (ST, [P, OUT_TEXT, OUT_Z]),
    "tandem_client_import_sticky": (ST, [P, S, Z, OUT_Z]),
    "tandem_client_precompute": (ST, [P, P, POINTER(EvalOptions), OUT_TEXT, OUT_Z]),
    "tandem_context_new": (ST, [OUT_P]),
    "tandem_context_from_json": (ST, [S, Z, OUT_P]),
    "tandem_context_free": (None, [P]),
    "tandem_context_set_string": (ST, [P, S, Z, S, Z]),
    "tandem_context_set_int": (ST, [P, S, Z, c_int64]),
    "tandem_context_set_double": (ST, [P, S, Z, c_double]),
    "tandem_context_set_bool": (ST, [P, S, Z, c_bool]),
    "tandem_context_set_json": (ST, [P, S, Z, S, Z]),
    "tandem_context_remove": (ST, [P, S, Z]),
    "tandem_context_clear": (ST, [P]),
    "tandem_context_len": (Z, [P]),
    "tandem_context_last_error": (Z, [P, c_void_p, Z]),
    "tandem_client_get_bool": (ST, [P, S, Z, P, c_bool, POINTER(c_bool), OUT_P]),
    "tandem_client_get_int": (ST, [P, S, Z, P, c_int64, POINTER(c_int64), OUT_P]),
    "tandem_client_get_double": (ST, [P, S, Z, P, c_double, POINTER(c_double), OUT_P]),
    "tandem_client_get_string": (ST, [P, S, Z, P, S, Z, OUT_P]),
    "tandem_client_evaluate": (ST, [P, S, Z, P, c_uint32, S, Z, POINTER(EvalOptions), OUT_P]),
    "tandem_result_free": (None, [P]),
    "tandem_result_reason": (c_uint32, [P]),
    "tandem_result_error_code": (c_uint32, [P]),
    "tandem_result_string": (c_bool, [P, OUT_TEXT, OUT_Z]),
    "tandem_result_value_json": (c_bool, [P, OUT_TEXT, OUT_Z]),
    "tandem_result_variant": (c_bool, [P, OUT_TEXT, OUT_Z]),
    "tandem_result_details_json": (ST, [P, OUT_TEXT, OUT_Z]),
    "tandem_client_evaluate_all": (ST, [P, P, OUT_P]),
    "tandem_outcomes_free": (None, [P]),
    "tandem_outcomes_count": (Z, [P]),
    "tandem_outcomes_flag_key": (c_bool, [P, Z, OUT_TEXT, OUT_Z]),
    "tandem_outcomes_read": (ST, [P, S, Z, c_uint32, POINTER(Read)]),
    "tandem_bucketing_hash": (ST, [S, Z, S, Z, POINTER(c_uint64)]),
    "tandem_bucketing_bucket": (ST, [S, Z, S, Z, POINTER(c_uint32)]),
    "tandem_bucketing_allocate": (ST, [S, Z, S, Z, POINTER(c_uint32), Z, OUT_Z]),
    "tandem_bucketing_holdout_threshold": (c_uint32, [c_double]),
    "tandem_bucketing_policy_draw": (ST, [S, Z, S, Z, S, Z, POINTER(c_double)]),
}

for _name, (_restype, _argtypes) in _SIGNATURES.items():
    _function = getattr(lib, _name)
    _function.restype = _restype
    _function.argtypes = _argtypes


def text_at(pointer, length):
    """The UTF-8 text a borrowed (pointer, length) pair names."""
    return ctypes.string_at(pointer, length).decode("utf-8")


def last_error():
    """The calling thread's last error message."""
    size = lib.tandem_last_error(None, 0)
    buf = ctypes.create_string_buffer(size + 1)
    lib.tandem_last_error(buf, size + 1)
    return buf.value.decode("utf-8", "replace")


def take_buffer(pointer, length):
    """Decodes a buffer Tandem returned and frees it."""
    try:
        return ctypes.string_at(pointer, length.value).decode("utf-8")
    finally:
        lib.tandem_buf_free(pointer, length)
