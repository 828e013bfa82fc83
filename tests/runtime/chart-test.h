/* chart-test.h: shared by test-chart.c and machines/chart.rsm. */
#ifndef CHART_TEST_H
#define CHART_TEST_H

#include "rt-test.h"

/* The events `create` sends the machine itself, in order, with data. */
struct ct_script {
    int   ev[80];
    void *data[80];
    int   n;
};

/* pick, pick_chart: a counter the first segment bumps and the choice's
 * guards read. */
struct ct_count {
    int n;
};

#endif
