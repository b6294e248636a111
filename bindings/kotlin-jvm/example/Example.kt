import dev.tandem.Client
import dev.tandem.Context
import dev.tandem.FlagType

fun main() {
    val config = """{"flags": {"new-checkout": {
        "state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
        "targeting": {"if": [{"in": [{"var": "country"}, ["SE", "NO"]]}, "on", null]}}}}"""
    Client(config).use { client ->
        Context().set("targetingKey", "user-1").set("country", "SE").use { ctx ->  // built once, reused
            // Dynamic context: one flag, its exposure and decision logged.
            println(client.getBoolean("new-checkout", ctx, false))                // true
            println(client.evaluate("new-checkout", ctx, FlagType.BOOLEAN, "false"))
            // {"key":"new-checkout","value":true,"variant":"on","reason":"TARGETING_MATCH"}

            // Static context: every flag at once; a flag's first read logs its exposure.
            client.evaluateAll(ctx).use { outcomes ->
                println(outcomes.read("new-checkout", FlagType.BOOLEAN).value)   // true
            }
        }
        // A new config: evaluations in flight keep the one they started with.
        client.update("""{"flags": {}}""")
        println(client.drainEventsJson())                                       // []
    }
}
