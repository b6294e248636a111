// A small Swift wrapper over the C ABI (tandem.h). UNTESTED: no Swift compiler can be
// installed where this was written; it follows tandem.h's documented contract and the Kotlin
// and Python wrappers, which are tested.
import CTandem
import Foundation

/// A failed call: the C ABI's status number and Tandem's message.
public struct TandemError: Error, CustomStringConvertible {
    public let status: UInt32
    public let message: String
    public var description: String {
        "\(String(cString: tandem_status_name(status))): \(message)"
    }
}

private func lastError() -> String {
    let size = tandem_last_error(nil, 0)
    var buffer = [CChar](repeating: 0, count: size + 1)
    _ = tandem_last_error(&buffer, buffer.count)
    return String(cString: buffer)
}

private func check(_ status: tandem_status) throws {
    if status != 0 { throw TandemError(status: status, message: lastError()) }
}

/// Calls `body` with the UTF-8 bytes of `text` as the (pointer, length) pair the ABI takes.
private func withText<R>(_ text: String, _ body: (UnsafePointer<CChar>, Int) throws -> R) rethrows -> R {
    var copy = text
    return try copy.withUTF8 { bytes in
        try bytes.withMemoryRebound(to: CChar.self) { chars in
            // An empty buffer may have no base address; the ABI needs a non-NULL pointer.
            try body(chars.baseAddress ?? UnsafePointer(bitPattern: 1)!, chars.count)
        }
    }
}

private func takeBuffer(_ buffer: UnsafeMutablePointer<CChar>?, _ length: Int) -> String {
    guard let buffer = buffer else { return "" }
    defer { tandem_buf_free(buffer, length) }
    return String(cString: buffer)
}

/// An evaluation context, built once with typed setters and reused by every evaluation.
public final class Context {
    let handle: OpaquePointer

    public init() throws {
        var out: OpaquePointer?
        try check(tandem_context_new(&out))
        handle = out!
    }

    public init(json: String) throws {
        var out: OpaquePointer?
        try withText(json) { try check(tandem_context_from_json($0, $1, &out)) }
        handle = out!
    }

    deinit { tandem_context_free(handle) }

    @discardableResult
    public func set(_ name: String, _ value: String) throws -> Context {
        try withText(name) { n, nl in
            try withText(value) { v, vl in try check(tandem_context_set_string(handle, n, nl, v, vl)) }
        }
        return self
    }

    @discardableResult
    public func set(_ name: String, _ value: Int64) throws -> Context {
        try withText(name) { try check(tandem_context_set_int(handle, $0, $1, value)) }
        return self
    }

    @discardableResult
    public func set(_ name: String, _ value: Double) throws -> Context {
        try withText(name) { try check(tandem_context_set_double(handle, $0, $1, value)) }
        return self
    }

    @discardableResult
    public func set(_ name: String, _ value: Bool) throws -> Context {
        try withText(name) { try check(tandem_context_set_bool(handle, $0, $1, value)) }
        return self
    }

    /// Any JSON value as text (objects for nested paths, arrays, null).
    @discardableResult
    public func setJSON(_ name: String, _ json: String) throws -> Context {
        try withText(name) { n, nl in
            try withText(json) { j, jl in try check(tandem_context_set_json(handle, n, nl, j, jl)) }
        }
        return self
    }
}

/// A client: safe to share between threads, updates included.
public final class Client {
    let handle: OpaquePointer

    /// `config` nil: nothing served until `update`. The system clock and OS entropy.
    public init(config: String?) throws {
        var out: OpaquePointer?
        if let config = config {
            try withText(config) { try check(tandem_client_new($0, $1, nil, &out)) }
        } else {
            try check(tandem_client_new(nil, 0, nil, &out))
        }
        handle = out!
    }

    deinit { tandem_client_free(handle) }

    /// Loads a new config; on failure the last good one keeps serving.
    public func update(_ config: String) throws {
        try withText(config) { try check(tandem_client_update(handle, $0, $1)) }
    }

    public func bool(_ flag: String, _ context: Context, default value: Bool) throws -> Bool {
        var out = false
        try withText(flag) { try check(tandem_client_get_bool(handle, $0, $1, context.handle, value, &out, nil)) }
        return out
    }

    public func int(_ flag: String, _ context: Context, default value: Int64) throws -> Int64 {
        var out: Int64 = 0
        try withText(flag) { try check(tandem_client_get_int(handle, $0, $1, context.handle, value, &out, nil)) }
        return out
    }

    public func double(_ flag: String, _ context: Context, default value: Double) throws -> Double {
        var out = 0.0
        try withText(flag) { try check(tandem_client_get_double(handle, $0, $1, context.handle, value, &out, nil)) }
        return out
    }

    public func string(_ flag: String, _ context: Context, default value: String) throws -> String {
        var result: OpaquePointer?
        try withText(flag) { f, fl in
            try withText(value) { d, dl in
                try check(tandem_client_get_string(handle, f, fl, context.handle, d, dl, &result))
            }
        }
        defer { tandem_result_free(result) }
        var text: UnsafePointer<CChar>?
        var length = 0
        guard tandem_result_string(result, &text, &length), let start = text else { return value }
        return String(decoding: UnsafeRawBufferPointer(start: start, count: length), as: UTF8.self)
    }

    /// The evaluation details as JSON text (the CLI's format). `type` is a tandem_flag_type.
    public func details(_ flag: String, _ context: Context, type: UInt32, defaultJSON: String) throws -> String {
        var result: OpaquePointer?
        try withText(flag) { f, fl in
            try withText(defaultJSON) { d, dl in
                try check(tandem_client_evaluate(handle, f, fl, context.handle, type, d, dl, nil, &result))
            }
        }
        defer { tandem_result_free(result) }
        var buffer: UnsafeMutablePointer<CChar>?
        var length = 0
        try check(tandem_result_details_json(result, &buffer, &length))
        return takeBuffer(buffer, length)
    }

    /// Every queued event as the JSON array text hosts ship.
    public func drainEvents() throws -> String {
        var buffer: UnsafeMutablePointer<CChar>?
        var length = 0
        try check(tandem_client_drain_events(handle, &buffer, &length))
        return takeBuffer(buffer, length)
    }
}
