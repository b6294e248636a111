"""Tandem for Python: the C ABI (libtandem_ffi) through ctypes.

Every semantic lives in the Rust core; this package converts arguments and results. It is the
same engine that ships to apps, so a bundle checked here behaves the same on a device.

    import tandem

    with tandem.Client(config_text) as client, tandem.Context({"country": "SE"}) as ctx:
        client.get_bool("new-checkout", ctx, False)
"""

import ctypes
import json
from ctypes import byref, c_bool, c_double, c_int64, c_size_t, c_uint32, c_uint64, c_void_p
from enum import IntEnum

from . import _native
from ._native import lib

__all__ = [
    "Client",
    "Context",
    "Outcomes",
    "Read",
    "Status",
    "Reason",
    "ErrorCode",
    "FlagType",
    "TandemError",
    "bucketing",
]


class Status(IntEnum):
    """tandem_status: 1-99 are the core's error kinds, 100+ the C boundary's."""

    OK = 0
    INVALID_JSON = 1
    INVALID_CONFIG = 2
    LIMIT_EXCEEDED = 3
    INVALID_CONTEXT = 4
    NOT_READY = 5
    INVALID_ARGUMENT = 6
    NULL_ARGUMENT = 100
    INVALID_UTF8 = 101
    PANIC = 102
    NOT_FOUND = 103
    IO = 104
    UNKNOWN_ERROR = 199


class Reason(IntEnum):
    """The core's Reason codes."""

    STATIC = 1
    DEFAULT = 2
    TARGETING_MATCH = 3
    SPLIT = 4
    DISABLED = 5
    ERROR = 6


class ErrorCode(IntEnum):
    """The core's ErrorCode codes (0: none)."""

    NONE = 0
    PROVIDER_NOT_READY = 1
    FLAG_NOT_FOUND = 2
    PARSE_ERROR = 3
    TYPE_MISMATCH = 4
    TARGETING_KEY_MISSING = 5
    INVALID_CONTEXT = 6
    GENERAL = 7


class FlagType(IntEnum):
    """The type an evaluation expects."""

    BOOLEAN = 1
    STRING = 2
    INTEGER = 3
    FLOAT = 4
    OBJECT = 5
    ANY = 6


class TandemError(Exception):
    """A failed call: `status` (a Status) and Tandem's message (never containing user data)."""

    def __init__(self, status, message):
        super().__init__(f"{Status(status).name}: {message}")
        self.status = Status(status)
        self.message = message


def _check(status):
    if status != Status.OK:
        raise TandemError(status, _native.last_error())


def _text(value):
    data = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    return data, len(data)


def _options(decision_key=None, eligible=None, now=None):
    if decision_key is None and eligible is None and now is None:
        return None
    options = _native.EvalOptions()
    if decision_key is not None:
        options.decision_key, options.decision_key_len = _text(decision_key)
    if eligible is not None:
        options.eligible_json, options.eligible_json_len = _text(json.dumps(list(eligible)))
    if now is not None:
        options.now_unix_millis, options.has_now = int(now), True
    return options


class _Handle:
    """Owns one native handle, freed by close() (or `with`, or garbage collection)."""

    _free = None

    def __init__(self, handle):
        self._handle = handle

    @property
    def handle(self):
        if not self._handle:
            raise ValueError(f"this {type(self).__name__} is closed")
        return self._handle

    def close(self):
        # A constructor that failed leaves no handle.
        if getattr(self, "_handle", None):
            type(self)._free(self._handle)
            self._handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()


class Context(_Handle):
    """An evaluation context, built once and reused by every evaluation."""

    _free = staticmethod(lib.tandem_context_free)

    def __init__(self, attributes=None):
        handle = c_void_p()
        if attributes is None:
            _check(lib.tandem_context_new(byref(handle)))
        else:
            text = attributes if isinstance(attributes, str) else json.dumps(attributes)
            _check(lib.tandem_context_from_json(*_text(text), byref(handle)))
        super().__init__(handle)

    def _set(self, status):
        if status != Status.OK:
            size = lib.tandem_context_last_error(self.handle, None, 0)
            buf = ctypes.create_string_buffer(size + 1)
            lib.tandem_context_last_error(self.handle, buf, size + 1)
            raise TandemError(status, buf.value.decode("utf-8", "replace"))

    def set(self, name, value):
        """Sets an attribute: str, bool, int, float, or any JSON value (dict, list, None)."""
        name = _text(name)
        if isinstance(value, str):
            self._set(lib.tandem_context_set_string(self.handle, *name, *_text(value)))
        elif isinstance(value, bool):
            self._set(lib.tandem_context_set_bool(self.handle, *name, value))
        elif isinstance(value, int) and -(2**63) <= value < 2**63:
            self._set(lib.tandem_context_set_int(self.handle, *name, value))
        elif isinstance(value, float):
            self._set(lib.tandem_context_set_double(self.handle, *name, value))
        else:
            self._set(lib.tandem_context_set_json(self.handle, *name, *_text(json.dumps(value))))
        return self

    def remove(self, name):
        self._set(lib.tandem_context_remove(self.handle, *_text(name)))

    def clear(self):
        self._set(lib.tandem_context_clear(self.handle))

    def __len__(self):
        return lib.tandem_context_len(self.handle)


class Read:
    """What one read of evaluated outcomes serves: value None is the caller's default."""

    __slots__ = ("reason", "error_code", "value", "variant")

    def __init__(self, reason, error_code, value, variant):
        self.reason, self.error_code, self.value, self.variant = reason, error_code, value, variant

    def __repr__(self):
        return (
            f"Read(reason={self.reason.name}, error_code={self.error_code.name}, "
            f"value={self.value!r}, variant={self.variant!r})"
        )


class Outcomes(_Handle):
    """Every flag evaluated for one context; a flag's first serving read logs its exposure."""

    _free = staticmethod(lib.tandem_outcomes_free)

    def __len__(self):
        return lib.tandem_outcomes_count(self.handle)

    def keys(self):
        out, size = c_void_p(), c_size_t()
        return [
            _native.text_at(out, size.value)
            for i in range(len(self))
            if lib.tandem_outcomes_flag_key(self.handle, i, byref(out), byref(size))
        ]

    def read(self, flag, flag_type=FlagType.ANY):
        read = _native.Read()
        _check(lib.tandem_outcomes_read(self.handle, *_text(flag), int(flag_type), byref(read)))
        value = (
            json.loads(_native.text_at(read.value_json, read.value_json_len))
            if read.value_json
            else None
        )
        variant = _native.text_at(read.variant, read.variant_len) if read.variant else None
        return Read(Reason(read.reason), ErrorCode(read.error_code), value, variant)


class Client(_Handle):
    """A client: safe to share between threads, updates included."""

    _free = staticmethod(lib.tandem_client_free)

    def __init__(self, config=None, *, clock=None, entropy=None, events_capacity=0,
                 exposure_dedup_capacity=0, sticky_capacity=0, _precomputed=False):
        options = _native.ClientOptions()
        _check(lib.tandem_client_options_default(byref(options)))
        if clock is not None:
            # Kept on the client: the callback must live as long as the native client.
            self._clock = _native.CLOCK(lambda _user_data: int(clock()))
            options.clock = self._clock
        if entropy is not None:
            options.entropy = entropy
        options.events_capacity = events_capacity
        options.exposure_dedup_capacity = exposure_dedup_capacity
        options.sticky_capacity = sticky_capacity
        handle = c_void_p()
        if _precomputed:
            _check(lib.tandem_client_new_precomputed(*_text(config), byref(options), byref(handle)))
        elif config is None:
            _check(lib.tandem_client_new(None, 0, byref(options), byref(handle)))
        else:
            _check(lib.tandem_client_new(*_text(config), byref(options), byref(handle)))
        super().__init__(handle)

    @classmethod
    def from_precomputed(cls, payload, **options):
        """A client serving one user's precomputed payload (Client.precompute)."""
        return cls(payload, _precomputed=True, **options)

    def _call(self, status):
        if status != Status.OK:
            raise TandemError(status, _native.last_error())

    @property
    def last_error(self):
        """The message of the last failed call on this client, from any thread ("" if none)."""
        size = lib.tandem_client_last_error(self.handle, None, 0)
        buf = ctypes.create_string_buffer(size + 1)
        lib.tandem_client_last_error(self.handle, buf, size + 1)
        return buf.value.decode("utf-8", "replace")

    def update(self, config):
        """Loads a new config; on failure the last good one keeps serving."""
        self._call(lib.tandem_client_update(self.handle, *_text(config)))

    def update_precomputed(self, payload):
        self._call(lib.tandem_client_update_precomputed(self.handle, *_text(payload)))

    def get_bool(self, flag, context, default):
        value = c_bool()
        self._call(lib.tandem_client_get_bool(
            self.handle, *_text(flag), context.handle, default, byref(value), None))
        return value.value

    def get_int(self, flag, context, default):
        value = c_int64()
        self._call(lib.tandem_client_get_int(
            self.handle, *_text(flag), context.handle, default, byref(value), None))
        return value.value

    def get_float(self, flag, context, default):
        value = c_double()
        self._call(lib.tandem_client_get_double(
            self.handle, *_text(flag), context.handle, default, byref(value), None))
        return value.value

    def get_string(self, flag, context, default):
        result = c_void_p()
        self._call(lib.tandem_client_get_string(
            self.handle, *_text(flag), context.handle, *_text(default), byref(result)))
        try:
            out, size = c_void_p(), c_size_t()
            lib.tandem_result_string(result, byref(out), byref(size))
            return _native.text_at(out, size.value)
        finally:
            lib.tandem_result_free(result)

    def evaluate(self, flag, context, flag_type=FlagType.ANY, default=None, *,
                 decision_key=None, eligible=None, now=None):
        """The evaluation details as the CLI prints them (a dict: key, value, variant,
        reason, errorCode, errorMessage, flagMetadata, experiment, decision)."""
        result = c_void_p()
        options = _options(decision_key, eligible, now)
        self._call(lib.tandem_client_evaluate(
            self.handle, *_text(flag), context.handle, int(flag_type),
            *_text(json.dumps(default)), byref(options) if options else None, byref(result)))
        try:
            out, size = c_void_p(), c_size_t()
            self._call(lib.tandem_result_details_json(result, byref(out), byref(size)))
            return json.loads(_native.take_buffer(out, size))
        finally:
            lib.tandem_result_free(result)

    def evaluate_all(self, context):
        """Every flag for one context, logging nothing until a flag is read."""
        handle = c_void_p()
        self._call(lib.tandem_client_evaluate_all(self.handle, context.handle, byref(handle)))
        return Outcomes(handle)

    def precompute(self, context, *, decision_key=None, eligible=None, now=None):
        """One user's precomputed payload (JSON text) for Client.from_precomputed."""
        out, size = c_void_p(), c_size_t()
        options = _options(decision_key, eligible, now)
        self._call(lib.tandem_client_precompute(
            self.handle, context.handle, byref(options) if options else None,
            byref(out), byref(size)))
        return _native.take_buffer(out, size)

    def track(self, name, unit, value=None, properties=None):
        value_ref = byref(c_double(value)) if value is not None else None
        props = _text(json.dumps(properties)) if properties is not None else (None, 0)
        self._call(lib.tandem_client_track(
            self.handle, *_text(name), *_text(unit), value_ref, *props))

    def drain_events(self):
        """Every queued event, oldest first (DESIGN §6), as a list of dicts."""
        out, size = c_void_p(), c_size_t()
        self._call(lib.tandem_client_drain_events(self.handle, byref(out), byref(size)))
        return json.loads(_native.take_buffer(out, size))

    def stats(self):
        stats = _native.Stats()
        self._call(lib.tandem_client_stats(self.handle, byref(stats)))
        return {name: getattr(stats, name) for name, _ in _native.Stats._fields_}

    def export_sticky(self):
        out, size = c_void_p(), c_size_t()
        self._call(lib.tandem_client_export_sticky(self.handle, byref(out), byref(size)))
        return _native.take_buffer(out, size)

    def import_sticky(self, snapshot):
        kept = c_size_t()
        self._call(lib.tandem_client_import_sticky(self.handle, *_text(snapshot), byref(kept)))
        return kept.value


class bucketing:
    """DESIGN §4's pure functions."""

    @staticmethod
    def hash(salt, unit):
        out = c_uint64()
        _check(lib.tandem_bucketing_hash(*_text(salt), *_text(unit), byref(out)))
        return out.value

    @staticmethod
    def bucket(salt, unit):
        out = c_uint32()
        _check(lib.tandem_bucketing_bucket(*_text(salt), *_text(unit), byref(out)))
        return out.value

    @staticmethod
    def allocate(salt, unit, weights):
        """The arm index, or None when the weights add up to 0."""
        array = (c_uint32 * len(weights))(*weights)
        out = c_size_t()
        status = lib.tandem_bucketing_allocate(
            *_text(salt), *_text(unit), array, len(weights), byref(out))
        if status == Status.NOT_FOUND:
            return None
        _check(status)
        return out.value

    @staticmethod
    def holdout_threshold(percent):
        return lib.tandem_bucketing_holdout_threshold(percent)

    @staticmethod
    def policy_draw(salt, unit, decision_key=""):
        out = c_double()
        _check(lib.tandem_bucketing_policy_draw(
            *_text(salt), *_text(unit), *_text(decision_key), byref(out)))
        return out.value
