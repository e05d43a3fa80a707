# Proves the engine compiles with -fno-exceptions: configures the project in BUILD_DIR with
# CMAKE_CXX_FLAGS=-fno-exceptions (no tests, no command) and builds every engine layer, going on
# past failures, then names each engine source that does not compile and its errors. Then runs
# the GCM tag check of that build on a vector (engine/dlms/gcm_check.cpp): without exceptions the
# tag is checked another way (cmake/gcm_check.cmake).
#   cmake -DSOURCE_DIR=<repo> -DBUILD_DIR=<dir> -DCXX=<compiler> -DGENERATOR=<gen> -P no_exceptions.cmake
set(_layers core axdr hdlc mbus dlms cosem p1 decoder)
set(_targets "")
foreach(layer ${_layers})
  list(APPEND _targets meterlab_${layer})
endforeach()
list(APPEND _targets gcm_check)

execute_process(
  COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${BUILD_DIR} -G ${GENERATOR}
          -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-O0
          -DCMAKE_CXX_FLAGS=-fno-exceptions -DMLAB_TESTS=OFF -DMLAB_CLI=OFF -DMLAB_BENCH=OFF
          -DMLAB_INSTALL=OFF -DMLAB_WERROR=ON
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "no-exceptions: configure failed:\n${out}")
endif()

# Keep going past a failed file, so that every file that does not compile is named.
set(_keep_going "")
if(GENERATOR MATCHES "Ninja")
  set(_keep_going -- -k 0)
elseif(GENERATOR MATCHES "Makefiles")
  set(_keep_going -- -k)
endif()
execute_process(
  COMMAND ${CMAKE_COMMAND} --build ${BUILD_DIR} -j2 --target ${_targets} ${_keep_going}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)

# Failed objects: ".../engine/dlms/CMakeFiles/meterlab_dlms.dir/security.cpp.o" -> engine/dlms/security.cpp
string(REGEX MATCHALL "FAILED: [^\n ]+\\.o" _failed "${out}")
set(_files "")
foreach(f ${_failed})
  string(REGEX REPLACE "FAILED: (.*)/CMakeFiles/[^/]+\\.dir/(.*)\\.o" "\\1/\\2" f "${f}")
  list(APPEND _files ${f})
endforeach()
list(REMOVE_DUPLICATES _files)
string(REGEX MATCHALL "[^\n]*: error: [^\n]*" _errors "${out}")
list(REMOVE_DUPLICATES _errors)

if(rc EQUAL 0)
  message(STATUS "no-exceptions: every engine layer (${_layers}) compiles with -fno-exceptions")
  set(GCM_CHECK ${BUILD_DIR}/engine/dlms/gcm_check)
  include(${SOURCE_DIR}/cmake/gcm_check.cmake)
elseif(_files)
  foreach(e ${_errors})
    message(STATUS "${e}")
  endforeach()
  list(JOIN _files ", " _list)
  message(FATAL_ERROR "no-exceptions: engine files that do not compile with -fno-exceptions: ${_list}")
else()
  message(FATAL_ERROR "no-exceptions: build failed:\n${out}")
endif()
