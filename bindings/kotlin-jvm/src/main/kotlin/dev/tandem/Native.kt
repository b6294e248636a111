package dev.tandem

/**
 * The JNI entry points of libtandem_ffi (sdk-ffi/src/jni.rs): each forwards to the C function
 * of the same name. Text crosses as UTF-8 byte arrays, handles as longs, statuses as ints.
 * Internal: use [Client], [Context] and [Outcomes].
 */
internal object Native {
    init {
        // The JVM: an explicit path (-Dtandem.library=... or $TANDEM_LIBRARY). Android: the
        // app's jniLibs/<abi>/libtandem_ffi.so, found by name.
        val path = System.getProperty("tandem.library") ?: System.getenv("TANDEM_LIBRARY")
        if (path != null) System.load(path) else System.loadLibrary("tandem_ffi")
    }

    @JvmStatic external fun lastStatus(): Int
    @JvmStatic external fun lastError(): ByteArray?

    @JvmStatic external fun clientNew(config: ByteArray?, entropy: Long, hasEntropy: Boolean,
                                      fixedNow: Long, hasFixedNow: Boolean, events: Long,
                                      out: LongArray): Int
    @JvmStatic external fun clientNewPrecomputed(payload: ByteArray?, entropy: Long,
                                                 hasEntropy: Boolean, fixedNow: Long,
                                                 hasFixedNow: Boolean, events: Long,
                                                 out: LongArray): Int
    @JvmStatic external fun clientFree(client: Long)
    @JvmStatic external fun clientUpdate(client: Long, config: ByteArray?): Int
    @JvmStatic external fun clientUpdatePrecomputed(client: Long, payload: ByteArray?): Int
    @JvmStatic external fun clientLastError(client: Long): ByteArray?
    @JvmStatic external fun clientDrainEvents(client: Long): ByteArray?
    @JvmStatic external fun clientExportSticky(client: Long): ByteArray?
    @JvmStatic external fun clientImportSticky(client: Long, snapshot: ByteArray?, out: LongArray): Int
    @JvmStatic external fun clientTrack(client: Long, name: ByteArray?, unit: ByteArray?,
                                        value: Double, hasValue: Boolean,
                                        properties: ByteArray?): Int
    @JvmStatic external fun clientStats(client: Long, out: LongArray): Int
    @JvmStatic external fun clientPrecompute(client: Long, context: Long): ByteArray?

    @JvmStatic external fun contextNew(json: ByteArray?, out: LongArray): Int
    @JvmStatic external fun contextFree(context: Long)
    @JvmStatic external fun contextSet(context: Long, kind: Int, name: ByteArray?, text: ByteArray?,
                                       number: Long, real: Double, flag: Boolean): Int
    @JvmStatic external fun contextLen(context: Long): Long

    @JvmStatic external fun getBool(client: Long, flag: ByteArray?, context: Long,
                                    default: Boolean, out: BooleanArray): Int
    @JvmStatic external fun getLong(client: Long, flag: ByteArray?, context: Long, default: Long,
                                    out: LongArray): Int
    @JvmStatic external fun getDouble(client: Long, flag: ByteArray?, context: Long,
                                      default: Double, out: DoubleArray): Int
    @JvmStatic external fun getString(client: Long, flag: ByteArray?, context: Long,
                                      default: ByteArray?): ByteArray?
    @JvmStatic external fun evaluate(client: Long, flag: ByteArray?, context: Long, type: Int,
                                     defaultJson: ByteArray?, decisionKey: ByteArray?,
                                     eligibleJson: ByteArray?, out: LongArray): Int
    @JvmStatic external fun resultFree(result: Long)
    @JvmStatic external fun resultCodes(result: Long): Long
    @JvmStatic external fun resultDetailsJson(result: Long): ByteArray?

    @JvmStatic external fun evaluateAll(client: Long, context: Long, out: LongArray): Int
    @JvmStatic external fun outcomesFree(outcomes: Long)
    @JvmStatic external fun outcomesCount(outcomes: Long): Long
    @JvmStatic external fun outcomesFlagKey(outcomes: Long, index: Long): ByteArray?
    @JvmStatic external fun outcomesRead(outcomes: Long, flag: ByteArray?, type: Int,
                                         codes: IntArray, texts: Array<ByteArray?>): Int
}
