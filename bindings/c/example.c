/* The golden example of every binding's README, in C: load a config, evaluate a flag for a
 * context built once, read every flag at once with log-on-read, and drain the events.
 *
 *     cargo build --release -p tandem-ffi
 *     cc -I sdk-ffi/include bindings/c/example.c -L target/release -ltandem_ffi -o target/example
 *     LD_LIBRARY_PATH=target/release ./target/example
 */
#include <stdio.h>
#include <string.h>

#include "tandem.h"

#define TEXT(s) (s), strlen(s)

static int fail(tandem_status status) {
    char message[256];
    tandem_last_error(message, sizeof message);
    fprintf(stderr, "tandem: %s: %s\n", tandem_status_name(status), message);
    return 1;
}

int main(void) {
    const char *config =
        "{\"flags\": {\"new-checkout\": {\"state\": \"ENABLED\","
        " \"variants\": {\"on\": true, \"off\": false}, \"defaultVariant\": \"off\","
        " \"targeting\": {\"if\": [{\"in\": [{\"var\": \"country\"}, [\"SE\", \"NO\"]]},"
        " \"on\", null]}}}}";
    tandem_client *client = NULL;
    tandem_status status = tandem_client_new(TEXT(config), NULL, &client);
    if (status != TANDEM_STATUS_OK) return fail(status);

    /* A context built once, reused by every evaluation. */
    tandem_context *ctx = NULL;
    tandem_context_new(&ctx);
    tandem_context_set_string(ctx, TEXT("targetingKey"), TEXT("user-1"));
    tandem_context_set_string(ctx, TEXT("country"), TEXT("SE"));

    /* Dynamic context: one flag, with its details. */
    bool on = false;
    tandem_result *result = NULL;
    tandem_client_get_bool(client, TEXT("new-checkout"), ctx, false, &on, &result);
    const char *variant;
    size_t variant_len;
    tandem_result_variant(result, &variant, &variant_len);
    printf("new-checkout: %s (variant %.*s, reason %u)\n", on ? "true" : "false",
           (int)variant_len, variant, tandem_result_reason(result));
    tandem_result_free(result);

    /* Static context: every flag at once; a flag's first read logs its exposure. */
    tandem_outcomes *all = NULL;
    tandem_client_evaluate_all(client, ctx, &all);
    tandem_read read;
    tandem_outcomes_read(all, TEXT("new-checkout"), TANDEM_FLAG_TYPE_BOOLEAN, &read);
    printf("from evaluate-all: %.*s\n", (int)read.value_json_len, read.value_json);
    tandem_outcomes_free(all);

    /* A new config: evaluations in flight keep the one they started with. */
    status = tandem_client_update(client, TEXT("{\"flags\": {}}"));
    if (status != TANDEM_STATUS_OK) return fail(status);

    char *events;
    size_t events_len;
    tandem_client_drain_events(client, &events, &events_len);
    printf("events: %s\n", events);
    tandem_buf_free(events, events_len);

    tandem_context_free(ctx);
    tandem_client_free(client);
    return 0;
}
