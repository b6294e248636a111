"""The Python binding's tests: the shared vectors and the API, with the same test names as the
C suite (bindings/c/tests) and the Kotlin one.

    cargo build -p tandem-ffi && python3 -m unittest discover -s bindings/python/tests -v
"""

import datetime
import json
import os
import sys
import threading
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import tandem  # noqa: E402
from tandem import Client, Context, ErrorCode, FlagType, Reason, Status, TandemError  # noqa: E402

TESTDATA = Path(os.environ.get("TANDEM_TESTDATA", Path(__file__).resolve().parents[3] / "testdata"))

FLAGS = json.dumps({
    "revision": "r1",
    "flags": {
        "dark-mode": {"state": "ENABLED", "variants": {"on": True, "off": False},
                      "defaultVariant": "off",
                      "targeting": {"if": [{"==": [{"var": "country"}, "SE"]}, "on", None]}},
        "page-size": {"state": "ENABLED", "variants": {"small": 10, "big": 50},
                      "defaultVariant": "big"},
        "ratio": {"state": "ENABLED", "variants": {"a": 0.25}, "defaultVariant": "a"},
        "greeting": {"state": "ENABLED", "variants": {"hej": "Hej!", "hi": "Hi!"},
                     "defaultVariant": "hi",
                     "targeting": {"if": [{"==": [{"var": "user.lang"}, "sv"]}, "hej", None]}},
        "theme": {"state": "ENABLED", "variants": {"blue": {"color": "#00f"}},
                  "defaultVariant": "blue"},
        "off": {"state": "DISABLED", "variants": {"on": True}, "defaultVariant": "on"},
    },
})

EXPERIMENT = json.dumps({
    "revision": "e1",
    "flags": {"checkout": {"state": "ENABLED",
                           "variants": {"control": "blue", "green": "green"},
                           "defaultVariant": "control"}},
    "experiments": {"checkout-test": {"flag": "checkout", "status": "running", "sticky": True,
                                      "allocation": [["control", 1], ["green", 1]]}},
})


def vectors(name):
    return json.loads((TESTDATA / name).read_text(encoding="utf-8"))


def se_context():
    return Context({"targetingKey": "user-1", "country": "SE", "user": {"lang": "sv"}})


class TandemTests(unittest.TestCase):
    def test_evaluation_vectors(self):
        data = vectors("evaluation.json")
        now = datetime.datetime.fromisoformat(data["now"].replace("Z", "+00:00"))
        millis = int(now.timestamp() * 1000)
        replayed = 0
        for case in data["cases"]:
            config = None if case["config"] is None else json.dumps(case["config"])
            with Client(config, clock=lambda: millis) as client:
                for i, request in enumerate(case["requests"]):
                    options = request.get("options", {})
                    with Context(request["context"]) as ctx:
                        details = client.evaluate(
                            request["flag"], ctx, FlagType[request["type"].upper()],
                            request["default"], decision_key=options.get("decisionKey"),
                            eligible=options.get("eligible"))
                    name = f"{case['name']} request {i} ({request['flag']})"
                    self.assertEqual(details, request["expected"], name)
                    self.assertEqual(client.drain_events(), request["events"], name)
                    replayed += 1
        self.assertGreaterEqual(replayed, 90)

    def test_bucketing_vectors(self):
        data = vectors("bucketing.json")
        for i, case in enumerate(data["cases"]):
            salt, unit = case["salt"], case["unit_normalized"]
            self.assertEqual(f"{tandem.bucketing.hash(salt, unit):016x}", case["hash"], i)
            bucket = tandem.bucketing.bucket(salt, unit)
            self.assertEqual(bucket, case["bucket"], i)
            self.assertEqual(tandem.bucketing.allocate(salt, unit, case["weights"]),
                             case["allocation"], i)
            threshold = tandem.bucketing.holdout_threshold(case["percent"])
            self.assertEqual(threshold, case["holdout_threshold"], i)
            self.assertEqual(bucket < threshold, case["held_out"], i)
            draw = tandem.bucketing.policy_draw(salt, unit, case["decision_key"])
            self.assertEqual(draw, case["draw"], i)
            self.assertEqual(int(draw * 2**53), int(case["draw_numerator"]), i)
        self.assertGreaterEqual(len(data["cases"]), 1000)

    def test_policy_vectors(self):
        data = vectors("policies.json")
        clients = {}
        for name, bundle in data["bundles"].items():
            ref = f"{bundle['id']}@{bundle['version']}"
            config = {"flags": {"p": {"state": "ENABLED",
                                      "variants": {"personal": {"$policy": ref}},
                                      "defaultVariant": "personal"}},
                      "policies": {ref: bundle}}
            clients[name] = Client(json.dumps(config))
        for i, case in enumerate(data["cases"]):
            with Context(case["context"]) as ctx:
                details = clients[case["bundle"]].evaluate(
                    "p", ctx, decision_key=case["decision_key"], eligible=case["eligible"])
            decision = details["decision"]
            for field, expected in [("action", "action"), ("actionIndex", "action_index"),
                                    ("unit", "unit"), ("draw", "draw")]:
                self.assertEqual(decision[field], case[expected], f"case {i}: {field}")
            for field, expected in [("probabilities", "probabilities"), ("scores", "scores")]:
                for got, want in zip(decision[field], case[expected], strict=True):
                    self.assertLessEqual(abs(got - want), 1e-9, f"case {i}: {field}")
            self.assertLessEqual(abs(decision["propensity"] - case["propensity"]), 1e-9)
            self.assertLessEqual(abs(decision["optimalityGap"] - case["optimality_gap"]), 1e-9)
        for i, case in enumerate(data["unit_errors"]):
            with Context(case["context"]) as ctx:
                details = clients[case["bundle"]].evaluate("p", ctx)
            self.assertEqual(details.get("errorCode"), case["error"], f"unit error {i}")
            self.assertNotIn("decision", details)
        for client in clients.values():
            client.close()

    def test_typed_getters(self):
        with Client(FLAGS) as client, se_context() as ctx:
            self.assertIs(client.get_bool("dark-mode", ctx, False), True)
            self.assertEqual(client.get_int("page-size", ctx, 7), 50)
            self.assertEqual(client.get_float("ratio", ctx, 1.0), 0.25)
            self.assertEqual(client.get_string("greeting", ctx, "default"), "Hej!")
            self.assertEqual(client.get_int("greeting", ctx, 7), 7)
            self.assertEqual(client.get_string("dark-mode", ctx, "fallback"), "fallback")
            self.assertIs(client.get_bool("nope", ctx, True), True)
            self.assertIs(client.get_bool("off", ctx, False), False)
            details = client.evaluate("greeting", ctx, FlagType.INTEGER, 7)
            self.assertEqual((details["value"], details["reason"], details["errorCode"]),
                             (7, "ERROR", "TYPE_MISMATCH"))
            self.assertEqual(client.evaluate("theme", ctx, FlagType.OBJECT, {}),
                             {"key": "theme", "value": {"color": "#00f"}, "variant": "blue",
                              "reason": "STATIC"})

    def test_context(self):
        with Client(FLAGS) as client, Context() as ctx:
            ctx.set("country", "SE").set("age", 30).set("score", 0.5).set("beta", True)
            ctx.set("user", {"lang": "sv"})
            self.assertEqual(len(ctx), 5)
            self.assertTrue(client.get_bool("dark-mode", ctx, False))
            ctx.set("country", "NO")
            self.assertFalse(client.get_bool("dark-mode", ctx, False))
            ctx.remove("country")
            self.assertEqual(len(ctx), 4)
            ctx.clear()
            self.assertEqual(len(ctx), 0)
            with self.assertRaises(TandemError) as error:
                ctx.set("deep", json.loads("[" * 100 + "]" * 100))
            self.assertEqual(error.exception.status, Status.LIMIT_EXCEEDED)
            self.assertEqual(len(ctx), 0)
        with self.assertRaises(TandemError) as error:
            Context("[1]")
        self.assertEqual(error.exception.status, Status.INVALID_CONTEXT)

    def test_evaluate_all(self):
        with Client(EXPERIMENT) as client:
            with Context({"targetingKey": "user-7"}) as ctx:
                outcomes = client.evaluate_all(ctx)
            self.assertEqual(outcomes.keys(), ["checkout"])
            self.assertEqual(client.drain_events(), [])
            read = outcomes.read("checkout", FlagType.STRING)
            self.assertEqual(read.reason, Reason.SPLIT)
            self.assertIn(read.value, ("blue", "green"))
            self.assertEqual([e["type"] for e in client.drain_events()], ["exposure"])
            outcomes.read("checkout", FlagType.STRING)
            self.assertEqual(client.drain_events(), [])
            wrong = outcomes.read("checkout", FlagType.BOOLEAN)
            self.assertEqual((wrong.reason, wrong.error_code, wrong.value),
                             (Reason.ERROR, ErrorCode.TYPE_MISMATCH, None))
            missing = outcomes.read("missing", FlagType.STRING)
            self.assertEqual(missing.error_code, ErrorCode.FLAG_NOT_FOUND)
        # The outcomes outlive their client.
        self.assertEqual(outcomes.read("checkout", FlagType.STRING).reason, Reason.SPLIT)
        outcomes.close()

    def test_precompute(self):
        with Client(EXPERIMENT) as edge, Context({"targetingKey": "user-3"}) as ctx:
            payload = edge.precompute(ctx)
            expected = edge.get_string("checkout", ctx, "none")
        with Client.from_precomputed(payload) as device, Context() as nobody:
            self.assertEqual(device.get_string("checkout", nobody, "none"), expected)
            self.assertEqual([e["type"] for e in device.drain_events()], ["exposure"])
        with Client() as empty, Context() as ctx:
            with self.assertRaises(TandemError) as error:
                empty.precompute(ctx)
            self.assertEqual(error.exception.status, Status.NOT_READY)

    def test_track_and_events(self):
        with Client(FLAGS) as client:
            client.track("purchase", "user-1", 12.5, {"sku": "a1"})
            client.track("visit", "user-1")
            with self.assertRaises(TandemError) as error:
                client.track("", "user-1")
            self.assertEqual(error.exception.status, Status.INVALID_ARGUMENT)
            events = client.drain_events()
            self.assertEqual([(e["type"], e["name"]) for e in events],
                             [("track", "purchase"), ("track", "visit")])
            self.assertEqual((events[0]["value"], events[0]["properties"]), (12.5, {"sku": "a1"}))

    def test_sticky(self):
        with Client(EXPERIMENT) as client, Context({"targetingKey": "user-5"}) as ctx:
            client.get_string("checkout", ctx, "none")
            self.assertEqual(client.stats()["sticky_assignments"], 1)
            snapshot = client.export_sticky()
        with Client(EXPERIMENT) as restored:
            self.assertEqual(restored.import_sticky(snapshot), 1)
            with self.assertRaises(TandemError) as error:
                restored.import_sticky("{nope")
            self.assertEqual(error.exception.status, Status.INVALID_JSON)

    def test_clock_and_stats(self):
        calls = []

        def clock():
            calls.append(1)
            return 1796083200000 + len(calls)

        with Client(FLAGS, clock=clock, events_capacity=2) as client:
            calls.clear()
            for _ in range(3):
                client.track("e", "u")
            self.assertEqual(len(calls), 3)
            stats = client.stats()
            self.assertEqual((stats["queued"], stats["dropped"]), (2, 1))
            events = client.drain_events()
            self.assertEqual(events[1]["timestamp"], 1796083200003)

    def test_errors(self):
        with self.assertRaises(TandemError) as error:
            Client('{"flags": ')
        self.assertEqual(error.exception.status, Status.INVALID_JSON)
        with self.assertRaises(TandemError) as error:
            Client('{"flags": {}, "experiments": 3}')
        self.assertEqual(error.exception.status, Status.INVALID_CONFIG)
        self.assertIn("experiments", error.exception.message)
        with Client(FLAGS) as client, se_context() as ctx:
            self.assertEqual(client.last_error, "")
            with self.assertRaises(TandemError):
                client.update("[]")
            self.assertNotEqual(client.last_error, "")
            self.assertTrue(client.get_bool("dark-mode", ctx, False))
            with self.assertRaises(TandemError) as error:
                client.evaluate("theme", ctx, 0, {})
            self.assertEqual(error.exception.status, Status.INVALID_ARGUMENT)
        with Client() as empty, Context() as ctx:
            details = empty.evaluate("x", ctx, FlagType.BOOLEAN, True)
            self.assertEqual(details["errorCode"], "PROVIDER_NOT_READY")
        closed = Client(FLAGS)
        closed.close()
        with self.assertRaises(ValueError):
            closed.get_bool("dark-mode", Context(), False)

    def test_result_outlives_update(self):
        with Client(FLAGS) as client, se_context() as ctx:
            outcomes = client.evaluate_all(ctx)
            client.update('{"flags": {"greeting": {"state": "ENABLED", '
                          '"variants": {"yo": "Yo!"}, "defaultVariant": "yo"}}}')
            self.assertEqual(client.get_string("greeting", ctx, "none"), "Yo!")
        self.assertEqual(outcomes.read("greeting", FlagType.STRING).value, "Hej!")
        outcomes.close()

    def test_threads(self):
        config_a = EXPERIMENT.replace('"e1"', '"a"')
        config_b = EXPERIMENT.replace('"e1"', '"b"')
        units, threads = 500, 4
        with Client(config_a, events_capacity=100000, exposure_dedup_capacity=100000) as client:
            done = threading.Event()
            bad = []

            def evaluate(t):
                with Context() as ctx:
                    for i in range(units):
                        ctx.set("targetingKey", f"t{t}-u{i}")
                        if client.get_string("checkout", ctx, "none") not in ("blue", "green"):
                            bad.append((t, i))

            def update():
                n = 0
                while not done.is_set():
                    client.update(config_a if n % 2 else config_b)
                    n += 1
                    done.wait(0.001)

            updater = threading.Thread(target=update)
            updater.start()
            workers = [threading.Thread(target=evaluate, args=(t,)) for t in range(threads)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
            done.set()
            updater.join()
            self.assertEqual(bad, [])
            events = client.drain_events()
            self.assertEqual(sum(e["type"] == "exposure" for e in events), units * threads)
            self.assertTrue(all(e["revision"] in ("a", "b") for e in events))
            stats = client.stats()
            self.assertEqual((stats["dropped"], stats["deduplicated"]), (0, 0))


if __name__ == "__main__":
    unittest.main()
