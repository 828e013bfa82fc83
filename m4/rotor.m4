# rotor.m4: Autoconf macros for projects that use rotor.      -*- Autoconf -*-
# serial 1
#
# Installed by rotor in $(datadir)/aclocal.  With `ACLOCAL_AMFLAGS = -I m4
# --install` in your Makefile.am, aclocal copies this file into your m4/
# folder (and replaces it there whenever the installed copy is newer, as
# the line above tells), so your release tarball carries it.
#
# ROTOR_PROG_ROTORGEN([MIN-VERSION], [ACTION-IF-NOT-FOUND])
# ---------------------------------------------------------
# Finds rotorgen, the compiler of .rsm state machines, and sets and
# substitutes ROTORGEN to it.  A ROTORGEN given to configure is used as
# is.  Otherwise rotorgen is looked for in PATH, then where the `rotor`
# pkg-config module says it is installed.  With MIN-VERSION, an older
# rotorgen counts as not found.  ACTION-IF-NOT-FOUND defaults to stopping
# configure with an error; to let a release tarball, which ships the
# generated C, build without rotorgen, pass
# [AM_MISSING_PROG([ROTORGEN], [rotorgen])] instead.
#
# Then, in Makefile.am (see `man 5 rsm`, or doc/tutorial.md of rotor):
#
#     SUFFIXES = .rsm
#     .rsm.c:
#     	$(AM_V_GEN)$(ROTORGEN) -o $@ -H $*.h $<
#     echo.h: echo.c
#     	@test -f $@ || { rm -f echo.c; $(MAKE) $(AM_MAKEFLAGS) echo.c; }
#
#     bin_PROGRAMS = echo-server
#     echo_server_SOURCES = main.c echo.rsm
#     EXTRA_DIST = echo.c echo.h
#     BUILT_SOURCES = echo.h
#     MAINTAINERCLEANFILES = echo.c echo.h

AC_DEFUN([ROTOR_PROG_ROTORGEN],
[AC_ARG_VAR([ROTORGEN], [rotorgen, the rotor state machine compiler])dnl
AC_REQUIRE([PKG_PROG_PKG_CONFIG])dnl
AS_IF([test -n "$ROTORGEN"],
  [AC_MSG_CHECKING([for rotorgen])
   AC_MSG_RESULT([$ROTORGEN (as given)])],
  [AC_PATH_PROG([ROTORGEN], [rotorgen])
   AS_IF([test -z "$ROTORGEN" && test -n "$PKG_CONFIG"],
     [AC_MSG_CHECKING([for rotorgen of the rotor pkg-config module])
      rotor_rg=`$PKG_CONFIG --variable=rotorgen rotor 2>/dev/null`
      AS_IF([test -n "$rotor_rg" && test -x "$rotor_rg"],
        [ROTORGEN=$rotor_rg], [rotor_rg=no])
      AC_MSG_RESULT([$rotor_rg])])
   m4_ifval([$1], [_ROTOR_ROTORGEN_VERSION([$1])])])
AS_IF([test -z "$ROTORGEN"],
  [AS_UNSET([ROTORGEN])
   m4_default([$2],
     [AC_MSG_ERROR([rotorgen m4_ifval([$1], [$1 or newer ])was not found.
Install rotor (its tarball installs rotorgen and librotor; with a prefix
other than /usr, put PREFIX/bin in PATH and PREFIX/lib/pkgconfig in
PKG_CONFIG_PATH), or give its place: ./configure ROTORGEN=/path/to/rotorgen])])])
AC_SUBST([ROTORGEN])dnl
])# ROTOR_PROG_ROTORGEN

# _ROTOR_ROTORGEN_VERSION(MIN-VERSION)
# ------------------------------------
# Empties ROTORGEN when the one found is older than MIN-VERSION.
AC_DEFUN([_ROTOR_ROTORGEN_VERSION],
[AS_IF([test -n "$ROTORGEN"],
  [AC_MSG_CHECKING([whether $ROTORGEN is version $1 or newer])
   rotor_rg_version=`$ROTORGEN --version 2>/dev/null |
     sed -n '1s/^[[^0-9]]*\([[0-9]][[0-9.]]*\).*$/\1/p'`
   AS_VERSION_COMPARE([$rotor_rg_version], [$1],
     [AC_MSG_RESULT([no, ${rotor_rg_version:-unknown}])
      ROTORGEN=],
     [AC_MSG_RESULT([yes, $rotor_rg_version])],
     [AC_MSG_RESULT([yes, $rotor_rg_version])])])
])# _ROTOR_ROTORGEN_VERSION
