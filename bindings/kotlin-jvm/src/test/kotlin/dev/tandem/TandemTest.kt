package dev.tandem

import java.io.File
import java.time.Instant
import java.util.Collections
import java.util.concurrent.atomic.AtomicBoolean
import java.util.concurrent.atomic.AtomicInteger
import kotlin.concurrent.thread

/**
 * The Kotlin/JVM binding's tests: the shared vectors and the API, with the same test names as
 * the C (bindings/c/tests) and Python suites. No test framework is available offline, so
 * `main` runs each test and ends with `kotlin: N passed, M failed`.
 */
object TandemTest {
    private val testdata = File(System.getenv("TANDEM_TESTDATA") ?: "testdata")
    private var failures = 0

    private fun expect(condition: Boolean, message: () -> String) {
        if (!condition) {
            failures++
            System.err.println("  check failed: ${message()}")
        }
    }

    private fun <T> expectEqual(actual: T, expected: T, what: String) =
        expect(actual == expected) { "$what: got $actual, expected $expected" }

    private fun expectThrows(status: Status, body: () -> Unit) {
        try {
            body()
            expect(false) { "no exception, expected $status" }
        } catch (e: TandemException) {
            expectEqual(e.status, status, "status")
        }
    }

    /** The source text of every object and array of the vectors read so far. */
    private val sources = java.util.IdentityHashMap<Any, String>()

    private fun vectors(name: String) = Json.parse(File(testdata, name).readText(), sources) as Map<*, *>

    /** A value of the vectors as the file wrote it (scalars are written by [Json.write]). */
    private fun source(value: Any?): String = value?.let { sources[it] } ?: Json.write(value)

    private const val FLAGS = """{"revision": "r1", "flags": {
        "dark-mode": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
          "targeting": {"if": [{"==": [{"var": "country"}, "SE"]}, "on", null]}},
        "page-size": {"state": "ENABLED", "variants": {"small": 10, "big": 50}, "defaultVariant": "big"},
        "ratio": {"state": "ENABLED", "variants": {"a": 0.25}, "defaultVariant": "a"},
        "greeting": {"state": "ENABLED", "variants": {"hej": "Hej!", "hi": "Hi!"}, "defaultVariant": "hi",
          "targeting": {"if": [{"==": [{"var": "user.lang"}, "sv"]}, "hej", null]}},
        "theme": {"state": "ENABLED", "variants": {"blue": {"color": "#00f"}}, "defaultVariant": "blue"},
        "off": {"state": "DISABLED", "variants": {"on": true}, "defaultVariant": "on"}}}"""

    private const val EXPERIMENT = """{"revision": "e1", "flags": {
        "checkout": {"state": "ENABLED", "variants": {"control": "blue", "green": "green"},
          "defaultVariant": "control"}},
        "experiments": {"checkout-test": {"flag": "checkout", "status": "running", "sticky": true,
          "allocation": [["control", 1], ["green", 1]]}}}"""

    private fun seContext() = Context().set("targetingKey", "user-1").set("country", "SE")
        .setJson("user", """{"lang": "sv"}""")

    fun evaluation_vectors() {
        val data = vectors("evaluation.json")
        val now = Instant.parse(data["now"] as String).toEpochMilli()
        var replayed = 0
        for (case in data["cases"] as List<*>) {
            case as Map<*, *>
            val config = case["config"]?.let { source(it) }
            Client(config, nowMillis = now).use { client ->
                for ((i, request) in (case["requests"] as List<*>).withIndex()) {
                    request as Map<*, *>
                    val options = request["options"] as Map<*, *>?
                    @Suppress("UNCHECKED_CAST")
                    val details = Context(source(request["context"])).use { ctx ->
                        client.evaluate(request["flag"] as String, ctx,
                            FlagType.valueOf((request["type"] as String).toUpperCase()),
                            source(request["default"]), options?.get("decisionKey") as String?,
                            options?.get("eligible") as List<String>?)
                    }
                    val name = "${case["name"]} request $i (${request["flag"]})"
                    expectEqual(details.fields, request["expected"], "$name details")
                    expectEqual(Json.parse(client.drainEventsJson()), request["events"], "$name events")
                    replayed++
                }
            }
        }
        expect(replayed >= 90) { "only $replayed requests" }
    }

    fun bucketing_vectors() {
        // Bucketing has no JVM entry points of its own: the shared cases are replayed through
        // experiments and policy draws (evaluation and policy vectors) and through C and
        // Python directly. Here: the vectors' hash and bucket reach a JVM caller identically
        // through an experiment whose allocation is the case's weights.
        val data = vectors("bucketing.json")
        var checked = 0
        for (case in (data["cases"] as List<*>).take(200)) {
            case as Map<*, *>
            val weights = (case["weights"] as List<*>).map { (it as Double).toLong() }
            if (weights.sum() == 0L || (case["unit"] !is String)) continue
            val salt = case["salt"] as String
            val arms = weights.indices.map { "v$it" }
            val config = Json.write(mapOf(
                "flags" to mapOf("f" to mapOf("state" to "ENABLED",
                    "variants" to arms.associate { it to it }, "defaultVariant" to "v0")),
                "experiments" to mapOf("e" to mapOf("flag" to "f", "status" to "running",
                    "salt" to salt, "allocation" to arms.zip(weights).map { listOf(it.first, it.second) }))))
            val client = try { Client(config) } catch (e: TandemException) { continue }
            client.use {
                Context().set("targetingKey", case["unit"] as String).use { ctx ->
                    val expected = "v${(case["allocation"] as Double).toInt()}"
                    expectEqual(client.getString("f", ctx, "none"), expected, "case ${case["hash"]}")
                }
            }
            checked++
        }
        expect(checked >= 100) { "only $checked bucketing cases" }
    }

    fun policy_vectors() {
        val data = vectors("policies.json")
        val clients = HashMap<String, Client>()
        for ((name, bundle) in data["bundles"] as Map<*, *>) {
            bundle as Map<*, *>
            val version = bundle["version"].let { if (it is Double) it.toLong().toString() else it.toString() }
            val ref = "${bundle["id"]}@$version"
            // The bundle goes in as written: its digest covers the text's numbers.
            val config = "{\"flags\": {\"p\": {\"state\": \"ENABLED\", \"variants\": {\"personal\": " +
                "{\"\$policy\": ${Json.write(ref)}}}, \"defaultVariant\": \"personal\"}}, " +
                "\"policies\": {${Json.write(ref)}: ${source(bundle)}}}"
            clients[name as String] = Client(config)
        }
        var checked = 0
        for ((i, case) in (data["cases"] as List<*>).withIndex()) {
            case as Map<*, *>
            @Suppress("UNCHECKED_CAST")
            val details = Context(source(case["context"])).use { ctx ->
                clients.getValue(case["bundle"] as String).evaluate("p", ctx,
                    decisionKey = case["decision_key"] as String, eligible = case["eligible"] as List<String>?)
            }
            val decision = details.fields["decision"] as Map<*, *>
            expectEqual(decision["action"], case["action"], "case $i action")
            expectEqual(decision["actionIndex"], case["action_index"], "case $i action index")
            expectEqual(decision["unit"], case["unit"], "case $i unit")
            expectEqual(decision["draw"], case["draw"], "case $i draw")
            for ((got, want) in listOf("probabilities" to "probabilities", "scores" to "scores")) {
                val a = decision[got] as List<*>
                val b = case[want] as List<*>
                expectEqual(a.size, b.size, "case $i $got size")
                a.zip(b).forEach { (x, y) -> expect(Math.abs((x as Double) - (y as Double)) <= 1e-9) { "case $i $got" } }
            }
            expect(Math.abs((decision["propensity"] as Double) - (case["propensity"] as Double)) <= 1e-9) { "case $i propensity" }
            checked++
        }
        for ((i, case) in (data["unit_errors"] as List<*>).withIndex()) {
            case as Map<*, *>
            val details = Context(source(case["context"])).use { ctx ->
                clients.getValue(case["bundle"] as String).evaluate("p", ctx)
            }
            expectEqual(details.fields["errorCode"], case["error"], "unit error $i")
            checked++
        }
        clients.values.forEach { it.close() }
        expect(checked >= 160) { "only $checked policy cases" }
    }

    fun typed_getters() {
        Client(FLAGS).use { client ->
            seContext().use { ctx ->
                expectEqual(client.getBoolean("dark-mode", ctx, false), true, "dark-mode")
                expectEqual(client.getLong("page-size", ctx, 7), 50L, "page-size")
                expectEqual(client.getDouble("ratio", ctx, 1.0), 0.25, "ratio")
                expectEqual(client.getString("greeting", ctx, "default"), "Hej!", "greeting")
                expectEqual(client.getLong("greeting", ctx, 7), 7L, "type mismatch")
                expectEqual(client.getString("dark-mode", ctx, "fallback"), "fallback", "type mismatch")
                expectEqual(client.getBoolean("nope", ctx, true), true, "missing")
                expectEqual(client.getBoolean("off", ctx, false), false, "disabled")
                val mismatch = client.evaluate("greeting", ctx, FlagType.INTEGER, "7")
                expectEqual(mismatch.errorCode, ErrorCode.TYPE_MISMATCH, "error code")
                expectEqual(mismatch.value, 7.0, "default value")
                val theme = client.evaluate("theme", ctx, FlagType.OBJECT, "{}")
                expectEqual(theme.json, """{"key":"theme","value":{"color":"#00f"},"variant":"blue","reason":"STATIC"}""", "details")
            }
        }
    }

    fun context() {
        Client(FLAGS).use { client ->
            Context().use { ctx ->
                ctx.set("country", "SE").set("age", 30).set("score", 0.5).set("beta", true)
                    .setJson("user", """{"lang": "sv"}""")
                expectEqual(ctx.size, 5, "size")
                expectEqual(client.getBoolean("dark-mode", ctx, false), true, "SE")
                ctx.set("country", "NO")
                expectEqual(client.getBoolean("dark-mode", ctx, false), false, "NO")
                ctx.remove("country")
                expectEqual(ctx.size, 4, "removed")
                ctx.clear()
                expectEqual(ctx.size, 0, "cleared")
                expectThrows(Status.LIMIT_EXCEEDED) { ctx.setJson("deep", "[".repeat(100) + "]".repeat(100)) }
                expectThrows(Status.INVALID_JSON) { ctx.setJson("x", "{nope") }
            }
        }
        expectThrows(Status.INVALID_CONTEXT) { Context("[1]") }
    }

    fun evaluate_all() {
        val outcomes = Client(EXPERIMENT).use { client ->
            val outcomes = Context().set("targetingKey", "user-7").use { client.evaluateAll(it) }
            expectEqual(outcomes.keys(), listOf("checkout"), "keys")
            expectEqual(client.drainEvents().size, 0, "evaluate-all logs nothing")
            val read = outcomes.read("checkout", FlagType.STRING)
            expectEqual(read.reason, Reason.SPLIT, "reason")
            expect(read.value == "blue" || read.value == "green") { "value ${read.value}" }
            expectEqual(client.drainEvents().map { it["type"] }, listOf<Any?>("exposure"), "first read")
            outcomes.read("checkout", FlagType.STRING)
            expectEqual(client.drainEvents().size, 0, "later reads")
            val wrong = outcomes.read("checkout", FlagType.BOOLEAN)
            expectEqual(Triple(wrong.reason, wrong.errorCode, wrong.value), Triple(Reason.ERROR, ErrorCode.TYPE_MISMATCH, null), "wrong type")
            expectEqual(outcomes.read("missing").errorCode, ErrorCode.FLAG_NOT_FOUND, "missing")
            outcomes
        }
        expectEqual(outcomes.read("checkout", FlagType.STRING).reason, Reason.SPLIT, "outlives the client")
        outcomes.close()
    }

    fun precompute() {
        val (payload, expected) = Client(EXPERIMENT).use { edge ->
            Context().set("targetingKey", "user-3").use { ctx ->
                Pair(edge.precompute(ctx), edge.getString("checkout", ctx, "none"))
            }
        }
        Client.fromPrecomputed(payload).use { device ->
            Context().use { ctx -> expectEqual(device.getString("checkout", ctx, "none"), expected, "served") }
            expectEqual(device.drainEvents().map { it["type"] }, listOf<Any?>("exposure"), "logged on read")
        }
        Client().use { empty -> Context().use { ctx -> expectThrows(Status.NOT_READY) { empty.precompute(ctx) } } }
    }

    fun track_and_events() {
        Client(FLAGS).use { client ->
            client.track("purchase", "user-1", 12.5, """{"sku": "a1"}""")
            client.track("visit", "user-1")
            expectThrows(Status.INVALID_ARGUMENT) { client.track("", "user-1") }
            val events = client.drainEvents()
            expectEqual(events.map { it["name"] }, listOf<Any?>("purchase", "visit"), "names")
            expectEqual(events[0]["value"], 12.5, "value")
            expectEqual(events[0]["properties"], mapOf("sku" to "a1"), "properties")
        }
    }

    fun sticky() {
        val snapshot = Client(EXPERIMENT).use { client ->
            Context().set("targetingKey", "user-5").use { client.getString("checkout", it, "none") }
            expectEqual(client.stats().stickyAssignments, 1L, "sticky")
            client.exportSticky()
        }
        Client(EXPERIMENT).use { restored ->
            expectEqual(restored.importSticky(snapshot), 1L, "kept")
            expectThrows(Status.INVALID_JSON) { restored.importSticky("{nope") }
        }
    }

    fun clock_and_stats() {
        Client(FLAGS, nowMillis = 1796083200000L, eventsCapacity = 2).use { client ->
            repeat(3) { client.track("e", "u") }
            val stats = client.stats()
            expectEqual(Pair(stats.queued, stats.dropped), Pair(2L, 1L), "capacity 2")
            expectEqual(client.drainEvents()[1]["timestamp"], 1796083200000.0, "the fixed clock")
        }
    }

    fun errors() {
        expectThrows(Status.INVALID_JSON) { Client("""{"flags": """) }
        try {
            Client("""{"flags": {}, "experiments": 3}""")
            expect(false) { "no exception" }
        } catch (e: TandemException) {
            expectEqual(e.status, Status.INVALID_CONFIG, "status")
            expect("experiments" in (e.message ?: "")) { "a JSON path: ${e.message}" }
        }
        Client(FLAGS).use { client ->
            expectEqual(client.lastError, "", "no failure yet")
            expectThrows(Status.INVALID_CONFIG) { client.update("[]") }
            expect(client.lastError.isNotEmpty()) { "on the handle" }
            seContext().use { ctx ->
                expectEqual(client.getBoolean("dark-mode", ctx, false), true, "last good config")
            }
        }
        Client().use { empty -> Context().use { ctx ->
            expectEqual(empty.evaluate("x", ctx, FlagType.BOOLEAN, "true").errorCode, ErrorCode.PROVIDER_NOT_READY, "not ready")
        } }
        val closed = Client(FLAGS)
        closed.close()
        closed.close()
        try {
            Context().use { closed.getBoolean("dark-mode", it, false) }
            expect(false) { "a closed client" }
        } catch (e: IllegalStateException) {
        }
    }

    fun result_outlives_update() {
        Client(FLAGS).use { client ->
            seContext().use { ctx ->
                val outcomes = client.evaluateAll(ctx)
                client.update("""{"flags": {"greeting": {"state": "ENABLED", "variants": {"yo": "Yo!"}, "defaultVariant": "yo"}}}""")
                expectEqual(client.getString("greeting", ctx, "none"), "Yo!", "new config")
                expectEqual(outcomes.read("greeting", FlagType.STRING).value, "Hej!", "old snapshot")
                outcomes.close()
            }
        }
    }

    fun threads() {
        val configA = EXPERIMENT.replace("\"e1\"", "\"a\"")
        val configB = EXPERIMENT.replace("\"e1\"", "\"b\"")
        val units = 1000
        val workers = 4
        Client(configA, eventsCapacity = 100000).use { client ->
            val bad = Collections.synchronizedList(ArrayList<String>())
            val done = AtomicBoolean(false)
            val updates = AtomicInteger(0)
            val updater = thread {
                while (!done.get()) {
                    client.update(if (updates.getAndIncrement() % 2 == 0) configB else configA)
                    Thread.sleep(1)
                }
            }
            (0 until workers).map { t ->
                thread {
                    Context().use { ctx ->
                        for (i in 0 until units) {
                            ctx.set("targetingKey", "t$t-u$i")
                            val v = client.getString("checkout", ctx, "none")
                            if (v != "blue" && v != "green") bad.add("t$t-u$i")
                        }
                    }
                }
            }.forEach { it.join() }
            done.set(true)
            updater.join()
            expectEqual(bad.size, 0, "bad evaluations")
            expect(updates.get() >= 1) { "no update" }
            val events = client.drainEvents()
            expectEqual(events.count { it["type"] == "exposure" }, units * workers, "exposures")
            expect(events.all { it["revision"] == "a" || it["revision"] == "b" }) { "revisions" }
            val stats = client.stats()
            expectEqual(Pair(stats.dropped, stats.deduplicated), Pair(0L, 0L), "dropped, deduplicated")
        }
    }

    @JvmStatic
    fun main(args: Array<String>) {
        val tests = listOf<Pair<String, () -> Unit>>(
            "evaluation_vectors" to ::evaluation_vectors, "bucketing_vectors" to ::bucketing_vectors,
            "policy_vectors" to ::policy_vectors, "typed_getters" to ::typed_getters,
            "context" to ::context, "evaluate_all" to ::evaluate_all, "precompute" to ::precompute,
            "track_and_events" to ::track_and_events, "sticky" to ::sticky,
            "clock_and_stats" to ::clock_and_stats, "errors" to ::errors,
            "result_outlives_update" to ::result_outlives_update, "threads" to ::threads)
        var passed = 0
        var failed = 0
        for ((name, test) in tests) {
            if (args.isNotEmpty() && name !in args) continue
            val before = failures
            try {
                test()
            } catch (e: Throwable) {
                failures++
                System.err.println("  $name threw $e")
                e.printStackTrace()
            }
            val ok = failures == before
            println("test $name ... ${if (ok) "ok" else "FAILED"}")
            if (ok) passed++ else failed++
        }
        println("kotlin: $passed passed, $failed failed")
        System.exit(if (failed == 0) 0 else 1)
    }
}
