/*
 * lexer.h: the tokens of a .rsm file.  The scanner (lexer.rl) is made by
 * Ragel; it reports bad bytes, strings and blocks itself and hands the
 * parser only well-formed tokens.
 *
 * Keywords are not reserved: `state`, `timeout` or `error` arrive as
 * identifiers and the parser knows them by place, so an event may be
 * called `timeout` where the grammar expects an event.
 */
#ifndef ROTORGEN_LEXER_H
#define ROTORGEN_LEXER_H

#include <stddef.h>

#include "diag.h"

/* Longest identifier accepted: C compilers guarantee no more, and a
 * limit keeps messages that quote names short. */
#define MAX_IDENT_LEN 255

enum tok_kind {
    TOK_EOF, TOK_IDENT, TOK_NUMBER, TOK_STRING, TOK_CODE,
    TOK_LBRACE, TOK_RBRACE, TOK_LPAREN, TOK_RPAREN, TOK_LBRACKET,
    TOK_RBRACKET, TOK_SEMI, TOK_COMMA, TOK_SLASH, TOK_ARROW, TOK_STAR,
    TOK_EQUALS
};

struct token {
    enum tok_kind kind;
    struct loc    loc;
    /* IDENT, NUMBER: the text; STRING: the decoded bytes; CODE: the text
     * between %{ and %}.  Always NUL-terminated (strings may hold NULs). */
    const char   *text;
    size_t        len;
    struct loc    text_loc;   /* CODE: where text starts */
};

struct token_list {
    struct token *items;
    size_t count, cap;
};

/* Splits src[0..len) into tokens ending with TOK_EOF.  Returns the number
 * of errors reported. */
unsigned lex(const char *src, size_t len, struct token_list *out);

/* How a token kind is named in messages ("';'", "an identifier"). */
const char *tok_kind_name(enum tok_kind kind);

#endif
