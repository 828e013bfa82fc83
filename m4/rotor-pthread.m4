# AX_PTHREAD_SIMPLE: find how to link with POSIX threads (glibc: -pthread).
AC_DEFUN([AX_PTHREAD_SIMPLE], [
  AC_CACHE_CHECK([for the -pthread flag], [rotor_cv_pthread], [
    save_CFLAGS=$CFLAGS
    CFLAGS="$CFLAGS -pthread"
    AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <pthread.h>]],
                     [[pthread_t t; return pthread_create(&t, 0, 0, 0);]])],
                   [rotor_cv_pthread=yes], [rotor_cv_pthread=no])
    CFLAGS=$save_CFLAGS])
  AS_IF([test "x$rotor_cv_pthread" = "xyes"],
        [PTHREAD_CFLAGS=-pthread; PTHREAD_LIBS=-pthread],
        [AC_MSG_ERROR([POSIX threads are required])])
  AC_SUBST([PTHREAD_CFLAGS])
  AC_SUBST([PTHREAD_LIBS])
])
