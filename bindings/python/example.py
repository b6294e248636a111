import tandem

config = """{"flags": {"new-checkout": {
    "state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
    "targeting": {"if": [{"in": [{"var": "country"}, ["SE", "NO"]]}, "on", null]}}}}"""

with tandem.Client(config) as client, tandem.Context() as ctx:
    ctx.set("targetingKey", "user-1").set("country", "SE")   # built once, reused

    # Dynamic context: one flag, its exposure and decision logged.
    print(client.get_bool("new-checkout", ctx, False))            # True
    print(client.evaluate("new-checkout", ctx, tandem.FlagType.BOOLEAN, False))
    # {'key': 'new-checkout', 'value': True, 'variant': 'on', 'reason': 'TARGETING_MATCH'}

    # Static context: every flag at once; a flag's first read logs its exposure.
    with client.evaluate_all(ctx) as outcomes:
        print(outcomes.read("new-checkout", tandem.FlagType.BOOLEAN).value)   # True

    # A new config: evaluations in flight keep the one they started with.
    client.update('{"flags": {}}')
    print(client.drain_events())                                   # []
