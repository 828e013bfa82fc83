/* parse.h: tokens to the syntax tree of ast.h (syntax only; see check.h). */
#ifndef ROTORGEN_PARSE_H
#define ROTORGEN_PARSE_H

#include "ast.h"
#include "lexer.h"

/* How deep states may nest (the parser recurses once per level). */
#define MAX_STATE_DEPTH 16

/* Fills *file from toks (which end with TOK_EOF).  Reports syntax errors,
 * skipping to the next `;` or `}` after each; returns how many. */
unsigned parse(const struct token_list *toks, struct rsm_file *file);

#endif
