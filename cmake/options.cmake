# Build options. Each has a documented default.

# ASan + UBSan build with clang (Default: OFF). One build tree that also hosts the libFuzzer
# targets (TELEMDB_FUZZ), so CI compiles the code once for both.
option(TELEMDB_SANITIZE "Build with AddressSanitizer + UndefinedBehaviorSanitizer" OFF)
# ThreadSanitizer build (Default: OFF). Exclusive with TELEMDB_SANITIZE.
option(TELEMDB_TSAN "Build with ThreadSanitizer" OFF)
# libFuzzer targets (Default: ON when TELEMDB_SANITIZE is on and the compiler is clang).
option(TELEMDB_FUZZ "Build libFuzzer targets (requires clang)" ${TELEMDB_SANITIZE})

if(TELEMDB_SANITIZE AND TELEMDB_TSAN)
  message(FATAL_ERROR "TELEMDB_SANITIZE and TELEMDB_TSAN are exclusive")
endif()

set(TELEMDB_WARNINGS -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  list(APPEND TELEMDB_WARNINGS -Wno-maybe-uninitialized)
endif()

if(TELEMDB_SANITIZE)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "TELEMDB_SANITIZE wants clang: -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang")
  endif()
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
  add_compile_definitions(TELEMDB_SANITIZED=1)
endif()
if(TELEMDB_TSAN)
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
  add_compile_definitions(TELEMDB_SANITIZED=1)
endif()
if(TELEMDB_FUZZ AND NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  set(TELEMDB_FUZZ OFF)
endif()

# Debug information in RelWithDebInfo builds (Default: lines). "lines" (-g1) keeps the line
# tables, so backtraces, perf and sanitizer reports still name file:line, and compiles
# 25-35 % faster than "full" (-g: also local variables and types, for stepping in gdb).
set(TELEMDB_DEBUG_INFO "lines" CACHE STRING "RelWithDebInfo debug info: lines (-g1) or full (-g)")
set_property(CACHE TELEMDB_DEBUG_INFO PROPERTY STRINGS lines full)
if(TELEMDB_DEBUG_INFO STREQUAL "lines")
  add_compile_options($<$<CONFIG:RelWithDebInfo>:-g1>)
elseif(NOT TELEMDB_DEBUG_INFO STREQUAL "full")
  message(FATAL_ERROR "TELEMDB_DEBUG_INFO must be lines or full (got ${TELEMDB_DEBUG_INFO})")
endif()
