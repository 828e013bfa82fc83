/*
 * stream.h: stream machines (buffered sockets with expectations) and
 * listeners.  Included by <rotor/rotor.h>.
 */
#ifndef ROTOR_STREAM_H
#define ROTOR_STREAM_H

#endif /* ROTOR_STREAM_H */
