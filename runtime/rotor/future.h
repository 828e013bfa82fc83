/*
 * future.h: notifiers and futures between machines, loops and threads.
 * Included by <rotor/rotor.h>.
 */
#ifndef ROTOR_FUTURE_H
#define ROTOR_FUTURE_H

#endif /* ROTOR_FUTURE_H */
