package dev.tandem

import java.io.Closeable

private val UTF8 = Charsets.UTF_8

private fun String.utf8(): ByteArray = toByteArray(UTF8)

private fun ByteArray.text(): String = String(this, UTF8)

/** The C ABI's status codes: 1-99 are the core's error kinds, 100+ the boundary's. */
enum class Status(val code: Int) {
    OK(0), INVALID_JSON(1), INVALID_CONFIG(2), LIMIT_EXCEEDED(3), INVALID_CONTEXT(4),
    NOT_READY(5), INVALID_ARGUMENT(6), NULL_ARGUMENT(100), INVALID_UTF8(101), PANIC(102),
    NOT_FOUND(103), IO(104), UNKNOWN_ERROR(199);

    companion object {
        fun of(code: Int): Status = values().firstOrNull { it.code == code } ?: UNKNOWN_ERROR
    }
}

/** Why an evaluation returned what it did (the core's Reason codes). */
enum class Reason(val code: Int) {
    STATIC(1), DEFAULT(2), TARGETING_MATCH(3), SPLIT(4), DISABLED(5), ERROR(6);

    companion object {
        fun of(code: Int): Reason = values().firstOrNull { it.code == code } ?: ERROR
    }
}

/** What failed (the core's ErrorCode codes; NONE is 0). */
enum class ErrorCode(val code: Int) {
    NONE(0), PROVIDER_NOT_READY(1), FLAG_NOT_FOUND(2), PARSE_ERROR(3), TYPE_MISMATCH(4),
    TARGETING_KEY_MISSING(5), INVALID_CONTEXT(6), GENERAL(7);

    companion object {
        fun of(code: Int): ErrorCode = values().firstOrNull { it.code == code } ?: GENERAL
    }
}

/** The type an evaluation expects. */
enum class FlagType(val code: Int) { BOOLEAN(1), STRING(2), INTEGER(3), FLOAT(4), OBJECT(5), ANY(6) }

/** A failed call: the status and Tandem's message (never containing user data). */
class TandemException(val status: Status, message: String) : RuntimeException("${status.name}: $message")

private fun check(status: Int) {
    if (status != 0) throw TandemException(Status.of(status), Native.lastError()?.text() ?: "")
}

private fun checked(bytes: ByteArray?): ByteArray =
    bytes ?: throw TandemException(Status.of(Native.lastStatus()), Native.lastError()?.text() ?: "")

/** A native handle freed once by [close]; `use { }` closes it. */
abstract class Handle internal constructor(handle: Long) : Closeable {
    @Volatile private var raw = handle

    internal val handle: Long
        get() {
            val h = raw
            check(h != 0L) { "${javaClass.simpleName} is closed" }
            return h
        }

    protected abstract fun free(handle: Long)

    override fun close() {
        val h = synchronized(this) { raw.also { raw = 0L } }
        if (h != 0L) free(h)
    }
}

/** An evaluation context, built once with typed setters and reused by every evaluation. */
class Context private constructor(handle: Long) : Handle(handle) {
    /** An empty context. */
    constructor() : this(make(null))

    /** A context from a JSON object text. */
    constructor(json: String) : this(make(json.utf8()))

    override fun free(handle: Long) = Native.contextFree(handle)

    private fun set(kind: Int, name: String?, text: String? = null, number: Long = 0,
                    real: Double = 0.0, flag: Boolean = false): Context {
        check(Native.contextSet(handle, kind, name?.utf8(), text?.utf8(), number, real, flag))
        return this
    }

    fun set(name: String, value: String): Context = set(0, name, text = value)
    fun set(name: String, value: Long): Context = set(1, name, number = value)
    fun set(name: String, value: Int): Context = set(1, name, number = value.toLong())
    fun set(name: String, value: Double): Context = set(2, name, real = value)
    fun set(name: String, value: Boolean): Context = set(3, name, flag = value)
    /** Any JSON value given as text: objects for nested paths (`user.plan`), arrays, null. */
    fun setJson(name: String, json: String): Context = set(4, name, text = json)
    fun remove(name: String): Context = set(5, name)
    fun clear(): Context = set(6, null)
    val size: Int get() = Native.contextLen(handle).toInt()

    private companion object {
        fun make(json: ByteArray?): Long {
            val out = LongArray(1)
            check(Native.contextNew(json, out))
            return out[0]
        }
    }
}

/** OpenFeature's evaluation details, as the CLI prints them. */
class Details internal constructor(val json: String) {
    val fields: Map<*, *> = Json.parse(json) as Map<*, *>
    val key: String get() = fields["key"] as String
    /** The served value: Boolean, String, Double, Map, List, or null. */
    val value: Any? get() = fields["value"]
    val variant: String? get() = fields["variant"] as String?
    val reason: Reason get() = Reason.valueOf(fields["reason"] as String)
    val errorCode: ErrorCode get() = (fields["errorCode"] as String?)?.let { ErrorCode.valueOf(it) } ?: ErrorCode.NONE
    val errorMessage: String? get() = fields["errorMessage"] as String?
    override fun toString() = json
}

/** What one read of evaluated outcomes serves; `value` null means the caller's default. */
data class Read(val reason: Reason, val errorCode: ErrorCode, val valueJson: String?, val variant: String?) {
    val value: Any? get() = valueJson?.let { Json.parse(it) }
}

/** Counters of a client's bounded state. */
data class Stats(val queued: Long, val dropped: Long, val deduplicated: Long, val decisions: Long,
                 val stickyAssignments: Long)

/** Every flag evaluated for one context: a flag's first serving read logs its exposure. */
class Outcomes internal constructor(handle: Long) : Handle(handle) {
    override fun free(handle: Long) = Native.outcomesFree(handle)

    val size: Int get() = Native.outcomesCount(handle).toInt()

    fun keys(): List<String> = (0 until size).mapNotNull { Native.outcomesFlagKey(handle, it.toLong())?.text() }

    fun read(flag: String, type: FlagType = FlagType.ANY): Read {
        val codes = IntArray(2)
        val texts = arrayOfNulls<ByteArray>(2)
        check(Native.outcomesRead(handle, flag.utf8(), type.code, codes, texts))
        return Read(Reason.of(codes[0]), ErrorCode.of(codes[1]), texts[0]?.text(), texts[1]?.text())
    }
}

/**
 * A client: safe to share between threads, updates included (an update parses off to the
 * side and swaps; evaluations never wait for it). [nowMillis] fixes the clock (replays, tests);
 * null reads the system clock. [entropy] null draws 64 bits from the OS.
 */
class Client private constructor(handle: Long) : Handle(handle) {
    constructor(config: String? = null, nowMillis: Long? = null, entropy: Long? = null,
                eventsCapacity: Long = 0) : this(make(config?.utf8(), false, nowMillis, entropy, eventsCapacity))

    companion object {
        /** A client serving one user's payload, written by [precompute]. */
        @JvmStatic
        fun fromPrecomputed(payload: String, nowMillis: Long? = null, entropy: Long? = null): Client =
            Client(make(payload.utf8(), true, nowMillis, entropy, 0))

        private fun make(text: ByteArray?, precomputed: Boolean, nowMillis: Long?, entropy: Long?,
                         events: Long): Long {
            val out = LongArray(1)
            val status = if (precomputed) {
                Native.clientNewPrecomputed(text, entropy ?: 0, entropy != null, nowMillis ?: 0,
                                            nowMillis != null, events, out)
            } else {
                Native.clientNew(text, entropy ?: 0, entropy != null, nowMillis ?: 0,
                                 nowMillis != null, events, out)
            }
            check(status)
            return out[0]
        }
    }

    override fun free(handle: Long) = Native.clientFree(handle)

    /** The message of the last failed call on this client, from any thread ("" if none). */
    val lastError: String get() = Native.clientLastError(handle)?.text() ?: ""

    /** Loads a new config; on failure the last good one keeps serving. */
    fun update(config: String) = check(Native.clientUpdate(handle, config.utf8()))

    fun updatePrecomputed(payload: String) = check(Native.clientUpdatePrecomputed(handle, payload.utf8()))

    fun getBoolean(flag: String, context: Context, default: Boolean): Boolean {
        val out = BooleanArray(1)
        check(Native.getBool(handle, flag.utf8(), context.handle, default, out))
        return out[0]
    }

    fun getLong(flag: String, context: Context, default: Long): Long {
        val out = LongArray(1)
        check(Native.getLong(handle, flag.utf8(), context.handle, default, out))
        return out[0]
    }

    fun getDouble(flag: String, context: Context, default: Double): Double {
        val out = DoubleArray(1)
        check(Native.getDouble(handle, flag.utf8(), context.handle, default, out))
        return out[0]
    }

    fun getString(flag: String, context: Context, default: String): String =
        checked(Native.getString(handle, flag.utf8(), context.handle, default.utf8())).text()

    /** The details call: any type, the default as JSON text, policy options. */
    fun evaluate(flag: String, context: Context, type: FlagType = FlagType.ANY,
                 defaultJson: String = "null", decisionKey: String? = null,
                 eligible: List<String>? = null): Details {
        val out = LongArray(1)
        check(Native.evaluate(handle, flag.utf8(), context.handle, type.code, defaultJson.utf8(),
                              decisionKey?.utf8(), eligible?.let { Json.write(it).utf8() }, out))
        try {
            return Details(checked(Native.resultDetailsJson(out[0])).text())
        } finally {
            Native.resultFree(out[0])
        }
    }

    /** Every flag for one context, logging nothing until a flag is read. */
    fun evaluateAll(context: Context): Outcomes {
        val out = LongArray(1)
        check(Native.evaluateAll(handle, context.handle, out))
        return Outcomes(out[0])
    }

    /** One user's precomputed payload (JSON text) for [fromPrecomputed]. */
    fun precompute(context: Context): String = checked(Native.clientPrecompute(handle, context.handle)).text()

    fun track(name: String, unit: String, value: Double? = null, propertiesJson: String? = null) =
        check(Native.clientTrack(handle, name.utf8(), unit.utf8(), value ?: 0.0, value != null, propertiesJson?.utf8()))

    /** Every queued event, oldest first, as the JSON array text hosts ship. */
    fun drainEventsJson(): String = checked(Native.clientDrainEvents(handle)).text()

    /** Every queued event, parsed. */
    fun drainEvents(): List<Map<*, *>> = (Json.parse(drainEventsJson()) as List<*>).map { it as Map<*, *> }

    fun stats(): Stats {
        val out = LongArray(5)
        check(Native.clientStats(handle, out))
        return Stats(out[0], out[1], out[2], out[3], out[4])
    }

    fun exportSticky(): String = checked(Native.clientExportSticky(handle)).text()

    /** Restores sticky assignments; how many the client holds afterwards. */
    fun importSticky(snapshot: String): Long {
        val out = LongArray(1)
        check(Native.clientImportSticky(handle, snapshot.utf8(), out))
        return out[0]
    }
}
