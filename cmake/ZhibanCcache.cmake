# ccache, when installed: a rebuild of the same sources hits the cache, also
# from another clone of the same commit (ops/test.sh and quickstart build in
# fresh clones). Detected here and nowhere else.
#
#   ZHIBAN_CCACHE=AUTO  use ccache when it is installed (the default)
#   ZHIBAN_CCACHE=ON    configuring fails unless it is installed
#   ZHIBAN_CCACHE=OFF   never use it
#
# What makes two clones share the cache (ccache's manual, "Compiling in
# different directories"):
#   base_dir   the source tree: absolute paths inside it (sources, -I of the
#              build tree's generated protobuf headers) are hashed, and
#              compiled, as paths relative to the build directory, so
#              /a/zhiban/build and /b/clone/build look the same;
#   hash_dir   off: with -g (the ASan and fuzz builds carry -g1) ccache would
#              otherwise hash the working directory. The price: debug info of
#              a hit names the directory of the build that filled the cache.
#   __FILE__   relative to the source tree (-fmacro-prefix-map), always: a
#              unity batch (the sanitizer builds) includes each source by
#              its absolute path, so every __FILE__ in it (gtest's EXPECTs,
#              assert) named the clone and the batch missed the cache in any
#              other clone — 14 of 259 compilations, the largest ones (the test
#              batches, 65–101 s each under ASan), in a warm run of 958 s.
#              ccache leaves the option's own path out of the hash.
# The settings go to ccache through the launcher's environment, so they hold
# for this build alone and a user's own ccache.conf is left as it is. The
# cache itself is ccache's default (~/.cache/ccache, 5 GB, compressed);
# `ccache -s` shows it.
include_guard(GLOBAL)

add_compile_options(-fmacro-prefix-map=${CMAKE_SOURCE_DIR}/=)

set(ZHIBAN_CCACHE AUTO CACHE STRING "Compile through ccache: AUTO, ON or OFF")
set_property(CACHE ZHIBAN_CCACHE PROPERTY STRINGS AUTO ON OFF)

if(NOT ZHIBAN_CCACHE STREQUAL "OFF")
  find_program(ZHIBAN_CCACHE_PROGRAM ccache NO_CACHE)
  if(ZHIBAN_CCACHE_PROGRAM)
    set(CMAKE_CXX_COMPILER_LAUNCHER
        env "CCACHE_BASEDIR=${CMAKE_SOURCE_DIR}" CCACHE_NOHASHDIR=1 ${ZHIBAN_CCACHE_PROGRAM})
    message(STATUS "ccache: ${ZHIBAN_CCACHE_PROGRAM} (base_dir ${CMAKE_SOURCE_DIR})")
  elseif(ZHIBAN_CCACHE STREQUAL "ON")
    message(FATAL_ERROR "ZHIBAN_CCACHE=ON but ccache is not installed: apt-get install ccache "
                        "(ops/install-deps.sh --test installs it)")
  else()
    message(STATUS "ccache: not installed, compiling without it (ops/install-deps.sh --test)")
  endif()
endif()
