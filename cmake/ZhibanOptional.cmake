# Optional dependencies: detected here and nowhere else.
#
#   zhiban_optional(NAME <Name> PACKAGES <debian-pkg>... HEADER <path> LIBRARY <name>
#                   ENABLES "<what it turns on>")
#
# Each one gets a cache option ZHIBAN_WITH_<NAME> (upper case):
#   AUTO  use it when its header and library are found (the default)
#   ON    it must be found; configuring fails, naming the Debian package, if not
#   OFF   never use it, even when installed
# ZHIBAN_OPTIONAL_DEFAULT (AUTO) is the mode of every option left empty
# (ops/test.sh configures one build with ON: every optional path compiled and tested).
#
# When enabled, it defines:
#   ZHIBAN_HAVE_<NAME>     TRUE in CMake (use it to add sources or definitions)
#   zhiban::opt_<name>     an INTERFACE target carrying include dir, library and
#                          the compile definition ZHIBAN_HAVE_<NAME>
# Detection is redone at every configure (NO_CACHE): a build directory configured
# where a package was visible does not keep believing in it after the package is
# removed or hidden (ops/without-optional.sh).
#
# Every Debian package named here must be in OPTIONAL_PACKAGES of ops/install-deps.sh
# and every option in the README's "Optional dependencies" table; the repo_optional_deps
# test checks both against ${CMAKE_BINARY_DIR}/optional-deps.txt, written here.
include_guard(GLOBAL)

set(ZHIBAN_OPTIONAL_DEFAULT AUTO CACHE STRING
    "Default for every ZHIBAN_WITH_<NAME> option: AUTO, ON or OFF")
set_property(CACHE ZHIBAN_OPTIONAL_DEFAULT PROPERTY STRINGS AUTO ON OFF)
file(WRITE ${CMAKE_BINARY_DIR}/optional-deps.txt
     "# option\tdebian packages\tenabled\twhat it enables\n")

function(zhiban_optional)
  cmake_parse_arguments(O "" "NAME;HEADER;LIBRARY;ENABLES" "PACKAGES" ${ARGN})
  foreach(arg NAME HEADER LIBRARY ENABLES PACKAGES)
    if(NOT O_${arg})
      message(FATAL_ERROR "zhiban_optional: ${arg} is required")
    endif()
  endforeach()
  string(TOUPPER "${O_NAME}" up)
  string(TOLOWER "${O_NAME}" low)
  set(opt ZHIBAN_WITH_${up})
  set(${opt} "" CACHE STRING
      "${O_ENABLES}: AUTO, ON or OFF (empty: follow ZHIBAN_OPTIONAL_DEFAULT)")
  set_property(CACHE ${opt} PROPERTY STRINGS "" AUTO ON OFF)
  set(mode "${${opt}}")
  if(mode STREQUAL "")
    set(mode "${ZHIBAN_OPTIONAL_DEFAULT}")
  endif()
  if(NOT mode MATCHES "^(AUTO|ON|OFF)$")
    message(FATAL_ERROR "${opt}=${mode}: expected AUTO, ON or OFF")
  endif()

  set(enabled FALSE)
  if(NOT mode STREQUAL "OFF")
    find_path(inc ${O_HEADER} NO_CACHE)
    find_library(lib ${O_LIBRARY} NO_CACHE)
    if(inc AND lib)
      set(enabled TRUE)
      add_library(zhiban::opt_${low} INTERFACE IMPORTED GLOBAL)
      target_include_directories(zhiban::opt_${low} INTERFACE ${inc})
      target_link_libraries(zhiban::opt_${low} INTERFACE ${lib})
      target_compile_definitions(zhiban::opt_${low} INTERFACE ZHIBAN_HAVE_${up})
    elseif(mode STREQUAL "ON")
      list(JOIN O_PACKAGES " " pkgs)
      message(FATAL_ERROR "${opt}=ON but ${O_HEADER} or lib${O_LIBRARY} is not installed: "
                          "install ${pkgs} (ops/install-deps.sh --optional) or set ${opt}=AUTO")
    endif()
  endif()

  set(ZHIBAN_HAVE_${up} ${enabled} PARENT_SCOPE)
  list(JOIN O_PACKAGES "," pkgs)
  if(enabled)
    set(state yes)
  else()
    set(state no)
  endif()
  file(APPEND ${CMAKE_BINARY_DIR}/optional-deps.txt "${opt}\t${pkgs}\t${state}\t${O_ENABLES}\n")
  message(STATUS "optional ${opt}=${mode}: ${state} (${O_ENABLES})")
endfunction()
