/*
 * lexer.rl: the .rsm scanner.  Ragel turns this file into lexer.c
 * (ragel -G2); the scanner below picks the longest token at each place,
 * and the C helpers above it build the tokens and report bad input.
 *
 * The whole file is in memory, so tokens point into it where they can;
 * lines are indexed once so that any byte can be turned into LINE:COL.
 */
#include <stdio.h>
#include <string.h>

/* Ragel's goto tables confuse GCC's fall-through analysis once #line
 * directives sit between a goto and the next case label. */
#if defined(__GNUC__) && __GNUC__ >= 7
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#endif

#include "lexer.h"
#include "util.h"

struct scanner {
    const unsigned char *src;
    size_t               len;
    size_t              *line_starts;   /* offset of each line's first byte */
    size_t               nlines, lines_cap;
    struct token_list   *out;
};

/* Indexes line starts; returns the offset of the first NUL byte, or len. */
static size_t index_lines(struct scanner *sc)
{
    size_t nul = sc->len;
    *(size_t *)VEC_PUSH(sc->line_starts, sc->nlines, sc->lines_cap) = 0;
    for (size_t i = 0; i < sc->len; i++) {
        if (sc->src[i] == '\n')
            *(size_t *)VEC_PUSH(sc->line_starts, sc->nlines, sc->lines_cap) = i + 1;
        else if (sc->src[i] == '\0' && nul == sc->len)
            nul = i;
    }
    return nul;
}

static struct loc locate(const struct scanner *sc, const unsigned char *p)
{
    size_t off = (size_t)(p - sc->src);
    size_t lo = 0, hi = sc->nlines;     /* line_starts[lo] <= off */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (sc->line_starts[mid] <= off)
            lo = mid;
        else
            hi = mid;
    }
    return (struct loc){ lo + 1, off - sc->line_starts[lo] + 1 };
}

static struct token *push(struct scanner *sc, enum tok_kind kind,
                          const unsigned char *ts)
{
    struct token *t = VEC_PUSH(sc->out->items, sc->out->count, sc->out->cap);
    t->kind = kind;
    t->loc = locate(sc, ts);
    t->text = "";
    return t;
}

/* Identifiers and numbers (digits, then perhaps a unit such as `ms`). */
static void word(struct scanner *sc, enum tok_kind kind,
                 const unsigned char *ts, const unsigned char *te)
{
    size_t len = (size_t)(te - ts);
    if (len > MAX_IDENT_LEN) {
        diag_error(locate(sc, ts), "%s is too long (%zu bytes; the limit is %d)",
                   kind == TOK_IDENT ? "identifier" : "number", len,
                   MAX_IDENT_LEN);
        len = MAX_IDENT_LEN;
    }
    struct token *t = push(sc, kind, ts);
    t->text = xstrndup((const char *)ts, len);
    t->len = len;
}

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int simple_escape(unsigned char c)
{
    static const char from[] = "ntr\\\"'?abfv";
    static const char to[] = "\n\t\r\\\"'?\a\b\f\v";
    const char *hit = c ? strchr(from, c) : NULL;
    return hit ? to[hit - from] : -1;
}

/* Decodes the escape at p (just after a backslash) into *out; returns the
 * first byte after it, or NULL after reporting a bad one. */
static const unsigned char *escape(struct scanner *sc, const unsigned char *p,
                                   const unsigned char *end, char *out)
{
    int v = simple_escape(*p);
    if (v >= 0) {
        *out = (char)v;
        return p + 1;
    }
    if (*p == 'x') {
        if (end - p < 3 || hex_value(p[1]) < 0 || hex_value(p[2]) < 0) {
            diag_error(locate(sc, p - 1), "\\x needs exactly two hex digits");
            return NULL;
        }
        *out = (char)(hex_value(p[1]) * 16 + hex_value(p[2]));
        return p + 3;
    }
    if (*p >= '0' && *p <= '7') {
        unsigned value = 0;
        const unsigned char *q = p;
        while (q < end && q - p < 3 && *q >= '0' && *q <= '7')
            value = value * 8 + (unsigned)(*q++ - '0');
        if (value > 255) {
            diag_error(locate(sc, p - 1), "octal escape out of range (over \\377)");
            return NULL;
        }
        *out = (char)value;
        return q;
    }
    if (*p >= 0x20 && *p < 0x7f)
        diag_error(locate(sc, p - 1), "unknown escape sequence '\\%c'", *p);
    else
        diag_error(locate(sc, p - 1), "unknown escape sequence (\\ then byte 0x%02X)", *p);
    return NULL;
}

/* A string token: ts..te includes both quotes. */
static void string(struct scanner *sc, const unsigned char *ts,
                   const unsigned char *te)
{
    const unsigned char *p = ts + 1, *end = te - 1;
    char *text = xmalloc((size_t)(end - p) + 1);
    size_t len = 0;
    while (p < end) {
        if (*p != '\\') {
            text[len++] = (char)*p++;
            continue;
        }
        p = escape(sc, p + 1, end, &text[len++]);
        if (!p)
            return;
    }
    text[len] = '\0';
    struct token *t = push(sc, TOK_STRING, ts);
    t->text = text;
    t->len = len;
}

/* A %{ ... %} block starting at ts (te is after `%{`).  Returns where
 * scanning resumes. */
static const unsigned char *code_block(struct scanner *sc,
                                       const unsigned char *ts,
                                       const unsigned char *te,
                                       const unsigned char *pe)
{
    const unsigned char *close = te;
    while (close + 1 < pe && !(close[0] == '%' && close[1] == '}'))
        close++;
    if (close + 1 >= pe) {
        diag_error(locate(sc, ts), "unterminated %%{ block (no %%} before the end of the file)");
        return pe;
    }
    /* The usual `%{` alone on its line starts the text on the next line,
     * which is where the #line of the copy must point. */
    const unsigned char *body = te;
    if (body < close && *body == '\r' && body + 1 < close && body[1] == '\n')
        body++;
    if (body < close && *body == '\n')
        body++;
    else
        body = te;
    struct token *t = push(sc, TOK_CODE, ts);
    t->text = xstrndup((const char *)body, (size_t)(close - body));
    t->len = (size_t)(close - body);
    t->text_loc = locate(sc, body);
    return close + 2;
}

static void unexpected(struct scanner *sc, const unsigned char *ts)
{
    if (*ts >= 0x80)
        diag_error(locate(sc, ts), "unexpected byte 0x%02X (non-ASCII text is "
                   "allowed only in strings, comments and %%{ %%} blocks)", *ts);
    else if (*ts > 0x20 && *ts < 0x7f)
        diag_error(locate(sc, ts), "unexpected character '%c'", *ts);
    else
        diag_error(locate(sc, ts), "unexpected byte 0x%02X", *ts);
}

%%{
    machine rsm_scanner;
    alphtype unsigned char;

    ident_start = [A-Za-z_];
    ident_char  = [A-Za-z0-9_];
    str_char    = [^"\\\n] | '\\' [^\n];

    main := |*
        [ \t\r\f\v\n]+;
        '#' [^\n]*;
        '%{' => { fexec code_block(&sc, ts, te, pe); };
        '%}' => { diag_error(locate(&sc, ts), "'%%}' without a '%%{' before it"); };
        ident_start ident_char* => { word(&sc, TOK_IDENT, ts, te); };
        digit ident_char* => { word(&sc, TOK_NUMBER, ts, te); };
        '"' str_char* '"' => { string(&sc, ts, te); };
        '"' str_char* '\\'? => {
            diag_error(locate(&sc, ts), "unterminated string (no closing \" on its line)");
        };
        '->' => { push(&sc, TOK_ARROW, ts); };
        '{' => { push(&sc, TOK_LBRACE, ts); };
        '}' => { push(&sc, TOK_RBRACE, ts); };
        '(' => { push(&sc, TOK_LPAREN, ts); };
        ')' => { push(&sc, TOK_RPAREN, ts); };
        '[' => { push(&sc, TOK_LBRACKET, ts); };
        ']' => { push(&sc, TOK_RBRACKET, ts); };
        ';' => { push(&sc, TOK_SEMI, ts); };
        ',' => { push(&sc, TOK_COMMA, ts); };
        '/' => { push(&sc, TOK_SLASH, ts); };
        '*' => { push(&sc, TOK_STAR, ts); };
        '=' => { push(&sc, TOK_EQUALS, ts); };
        (0x80..0xff)+ => { unexpected(&sc, ts); };
        any => { unexpected(&sc, ts); };
    *|;

    write data nofinal noerror;
}%%

unsigned lex(const char *src, size_t len, struct token_list *out)
{
    unsigned before = diag_error_count();
    struct scanner sc = { (const unsigned char *)src, len, NULL, 0, 0, out };
    size_t nul = index_lines(&sc);
    const unsigned char *p = sc.src, *pe = sc.src + len, *eof = pe;
    if (nul < len) {
        diag_error(locate(&sc, sc.src + nul), "NUL byte in input (is this a text file?)");
        p = pe = eof = sc.src + nul;
    }
    const unsigned char *ts, *te;
    int cs, act;

    %% write init;
    %% write exec;

    (void)act;
    (void)rsm_scanner_en_main;
    struct token *t = push(&sc, TOK_EOF, pe);
    (void)t;
    return diag_error_count() - before;
}

const char *tok_kind_name(enum tok_kind kind)
{
    static const char *const names[] = {
        [TOK_EOF] = "the end of the file", [TOK_IDENT] = "an identifier",
        [TOK_NUMBER] = "a number", [TOK_STRING] = "a string",
        [TOK_CODE] = "a %{ %} block", [TOK_LBRACE] = "'{'",
        [TOK_RBRACE] = "'}'", [TOK_LPAREN] = "'('", [TOK_RPAREN] = "')'",
        [TOK_LBRACKET] = "'['", [TOK_RBRACKET] = "']'", [TOK_SEMI] = "';'",
        [TOK_COMMA] = "','", [TOK_SLASH] = "'/'", [TOK_ARROW] = "'->'",
        [TOK_STAR] = "'*'", [TOK_EQUALS] = "'='",
    };
    return names[kind];
}
