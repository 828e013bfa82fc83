/* order-data.h: the data of run/order.rsm. */
#ifndef ORDER_DATA_H
#define ORDER_DATA_H
struct order_data {
    char log[512];
    int  guard1, guard2;
};
#endif
