package dev.tandem

/**
 * A small JSON reader (the Kotlin standard library has none): objects become
 * `Map<String, Any?>` (in document order), arrays `List<Any?>`, numbers `Double`, and
 * `true`/`false`/`null` themselves. Enough for the details, events and payloads Tandem writes.
 */
object Json {
    fun parse(text: String): Any? = parse(text, null)

    /**
     * [parse], also recording the source text of every object and array in [sources] (keyed
     * by identity): a value can then be handed on exactly as written (`1.0` stays `1.0`, which
     * matters to digests computed over the text's numbers).
     */
    fun parse(text: String, sources: java.util.IdentityHashMap<Any, String>?): Any? {
        val reader = Reader(text, sources)
        val value = reader.value()
        reader.space()
        if (reader.at != text.length) throw IllegalArgumentException("JSON: trailing text at ${reader.at}")
        return value
    }

    /** A value as JSON text (for defaults and contexts built from Kotlin values). */
    fun write(value: Any?): String = StringBuilder().also { write(value, it) }.toString()

    private fun write(value: Any?, out: StringBuilder) {
        when (value) {
            null -> out.append("null")
            is Boolean -> out.append(value)
            is Int, is Long -> out.append(value)
            is Number -> {
                val d = value.toDouble()
                require(!d.isNaN() && !d.isInfinite()) { "JSON has no NaN or infinity" }
                out.append(if (d == Math.floor(d) && Math.abs(d) < 1e15) d.toLong().toString() else d.toString())
            }
            is String -> quote(value, out)
            is Map<*, *> -> {
                out.append('{')
                var first = true
                for ((k, v) in value) {
                    if (!first) out.append(',')
                    first = false
                    quote(k.toString(), out)
                    out.append(':')
                    write(v, out)
                }
                out.append('}')
            }
            is Iterable<*> -> {
                out.append('[')
                var first = true
                for (v in value) {
                    if (!first) out.append(',')
                    first = false
                    write(v, out)
                }
                out.append(']')
            }
            else -> throw IllegalArgumentException("not a JSON value: ${value.javaClass}")
        }
    }

    private fun quote(s: String, out: StringBuilder) {
        out.append('"')
        for (c in s) {
            when {
                c == '"' -> out.append("\\\"")
                c == '\\' -> out.append("\\\\")
                c < ' ' -> out.append(String.format("\\u%04x", c.toInt()))
                else -> out.append(c)
            }
        }
        out.append('"')
    }

    private class Reader(val text: String, val sources: java.util.IdentityHashMap<Any, String>?) {
        var at = 0

        fun space() {
            while (at < text.length && text[at] in " \t\r\n") at++
        }

        fun value(): Any? {
            space()
            if (at >= text.length) throw IllegalArgumentException("JSON: unexpected end")
            val start = at
            return when (text[at]) {
                '{' -> obj().also { sources?.put(it, text.substring(start, at)) }
                '[' -> arr().also { sources?.put(it, text.substring(start, at)) }
                '"' -> str()
                't' -> literal("true", true)
                'f' -> literal("false", false)
                'n' -> literal("null", null)
                else -> num()
            }
        }

        private fun literal(word: String, value: Any?): Any? {
            if (!text.startsWith(word, at)) throw IllegalArgumentException("JSON: bad literal at $at")
            at += word.length
            return value
        }

        private fun num(): Double {
            val start = at
            while (at < text.length && text[at] in "+-0123456789.eE") at++
            return text.substring(start, at).toDouble()
        }

        private fun str(): String {
            at++
            val out = StringBuilder()
            while (text[at] != '"') {
                val c = text[at++]
                if (c != '\\') {
                    out.append(c)
                    continue
                }
                when (val e = text[at++]) {
                    'n' -> out.append('\n')
                    't' -> out.append('\t')
                    'r' -> out.append('\r')
                    'b' -> out.append('\b')
                    'f' -> out.append('\u000c')
                    'u' -> {
                        out.append(text.substring(at, at + 4).toInt(16).toChar())
                        at += 4
                    }
                    else -> out.append(e)
                }
            }
            at++
            return out.toString()
        }

        private fun arr(): List<Any?> {
            at++
            val out = ArrayList<Any?>()
            space()
            if (text[at] == ']') {
                at++
                return out
            }
            while (true) {
                out.add(value())
                space()
                when (text[at++]) {
                    ',' -> {
                    }
                    ']' -> return out
                    else -> throw IllegalArgumentException("JSON: expected , or ] at ${at - 1}")
                }
            }
        }

        private fun obj(): Map<String, Any?> {
            at++
            val out = LinkedHashMap<String, Any?>()
            space()
            if (text[at] == '}') {
                at++
                return out
            }
            while (true) {
                space()
                val key = str()
                space()
                if (text[at++] != ':') throw IllegalArgumentException("JSON: expected : at ${at - 1}")
                out[key] = value()
                space()
                when (text[at++]) {
                    ',' -> {
                    }
                    '}' -> return out
                    else -> throw IllegalArgumentException("JSON: expected , or } at ${at - 1}")
                }
            }
        }
    }
}
