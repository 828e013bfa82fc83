/*
 * paths-test.h: what test-paths.c shares with its machine
 * (machines/pr.rsm includes it from %{ %}).
 */
#ifndef PATHS_TEST_H
#define PATHS_TEST_H

#include <stdbool.h>

#include <rotor/rotor.h>

/* The guard pr_paid returns `paid`, which the test sets through the
 * seed: the paths assume [pr_paid], the test makes it so. */
struct pr_data {
    bool paid;
};

#endif
