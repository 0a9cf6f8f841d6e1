# Small helpers so every target is declared the same way (after abseil's AbseilHelpers).
#
#   zhiban_library(NAME name SRCS ... [DEPS ...] [PUBLIC_DEPS ...])
#   zhiban_executable(NAME name SRCS ... [DEPS ...])
#   zhiban_test(NAME name SRCS ... [DEPS ...] [LABELS ...])
#
# Warnings are per target (no global flags); ZHIBAN_WERROR turns them into errors.

function(zhiban_warnings target)
  # -Wno-restrict: GCC 12 false positive on std::string operator+ at -O2/-O3
  # (GCC bug 105329), fixed in GCC 13.
  # (GCC-only flags are GCC's: fuzz/ builds with clang.)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wno-missing-field-initializers
                         $<$<CXX_COMPILER_ID:GNU>:-Wshadow=local -Wno-restrict>)
  if(ZHIBAN_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  # A unity batch includes a .cpp into another: GCC then takes a class of the
  # first with a member of an anonymous-namespace type for one in a header.
  if(CMAKE_UNITY_BUILD)
    target_compile_options(${target} PRIVATE $<$<CXX_COMPILER_ID:GNU>:-Wno-subobject-linkage>)
  endif()
endfunction()

function(zhiban_library)
  cmake_parse_arguments(Z "" "NAME" "SRCS;DEPS;PUBLIC_DEPS" ${ARGN})
  add_library(${Z_NAME} STATIC ${Z_SRCS})
  target_include_directories(${Z_NAME} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${Z_NAME} PUBLIC ${Z_PUBLIC_DEPS} PRIVATE ${Z_DEPS})
  zhiban_warnings(${Z_NAME})
endfunction()

function(zhiban_executable)
  cmake_parse_arguments(Z "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${Z_NAME} ${Z_SRCS})
  target_link_libraries(${Z_NAME} PRIVATE ${Z_DEPS})
  zhiban_warnings(${Z_NAME})
endfunction()

function(zhiban_test)
  cmake_parse_arguments(Z "" "NAME" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${Z_NAME} ${Z_SRCS})
  target_link_libraries(${Z_NAME} PRIVATE ${Z_DEPS} GTest::gtest_main GTest::gmock)
  set_target_properties(${Z_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  zhiban_warnings(${Z_NAME})
  gtest_discover_tests(${Z_NAME} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "${Z_LABELS}"
                       ENVIRONMENT "ZHIBAN_BIN_DIR=${CMAKE_BINARY_DIR}/bin")
endfunction()
