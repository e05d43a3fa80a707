# Every option combination that makes sense configures (issue 15): each is configured in its own
# folder under BUILD_DIR, and a failure names the combination and shows CMake's error.
#   cmake -DSOURCE_DIR=<repo> -DBUILD_DIR=<dir> -DGENERATOR=<gen> -DCXX=<compiler> -P this file
# A combination is "name|options" (options separated by spaces). The subproject case configures a
# parent that adds meterlab with add_subdirectory(): no tests, no command, no install rules there.
set(_combinations
  "tests-without-cli|-DMLAB_TESTS=ON -DMLAB_CLI=OFF"
  "demo|-DMLAB_TESTS=OFF -DMLAB_CLI=ON"
  "library-only|-DMLAB_TESTS=OFF -DMLAB_CLI=OFF"
  "library-no-install|-DMLAB_TESTS=OFF -DMLAB_CLI=OFF -DMLAB_INSTALL=OFF"
  "bench-gate|-DMLAB_BENCH=ON -DMLAB_TESTS=OFF -DMLAB_CLI=OFF -DCMAKE_BUILD_TYPE=Release"
  "everything|-DMLAB_TESTS=ON -DMLAB_CLI=ON -DMLAB_BENCH=ON -DMLAB_WERROR=ON")

file(REMOVE_RECURSE ${BUILD_DIR})
set(_failed "")
foreach(c ${_combinations})
  string(REPLACE "|" ";" c "${c}")
  list(GET c 0 name)
  list(GET c 1 options)
  separate_arguments(options UNIX_COMMAND "${options}")
  execute_process(
    COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${BUILD_DIR}/${name} -G ${GENERATOR}
            -DCMAKE_CXX_COMPILER=${CXX} ${options}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(rc EQUAL 0)
    message(STATUS "configures: ${name}")
  else()
    message(STATUS "does not configure: ${name}\n${out}")
    list(APPEND _failed ${name})
  endif()
endforeach()

# As a subproject: the parent sees meterlab::engine, and meterlab adds no tests or install rules.
set(_parent ${BUILD_DIR}/parent-src)
file(MAKE_DIRECTORY ${_parent})
file(WRITE ${_parent}/CMakeLists.txt "cmake_minimum_required(VERSION 3.20)
project(parent LANGUAGES CXX)
enable_testing()
add_subdirectory(\"${SOURCE_DIR}\" meterlab)
if(NOT TARGET meterlab::engine)
  message(FATAL_ERROR \"meterlab::engine is not defined\")
endif()
foreach(v MLAB_TESTS MLAB_CLI MLAB_INSTALL)
  if(\${v})
    message(FATAL_ERROR \"\${v} is on in a subproject\")
  endif()
endforeach()
")
execute_process(
  COMMAND ${CMAKE_COMMAND} -S ${_parent} -B ${BUILD_DIR}/subproject -G ${GENERATOR}
          -DCMAKE_CXX_COMPILER=${CXX}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(rc EQUAL 0)
  file(GLOB_RECURSE _install_scripts ${BUILD_DIR}/subproject/meterlab/*cmake_install.cmake)
  set(_with_rules "")
  foreach(f ${_install_scripts})
    file(STRINGS ${f} _rules REGEX "file\\(INSTALL")
    if(_rules)
      list(APPEND _with_rules ${f})
    endif()
  endforeach()
  if(_with_rules)
    message(STATUS "subproject: install rules generated in ${_with_rules}")
    list(APPEND _failed subproject)
  else()
    message(STATUS "configures: subproject (no tests, no command, no install rules)")
  endif()
else()
  message(STATUS "does not configure: subproject\n${out}")
  list(APPEND _failed subproject)
endif()

if(_failed)
  list(JOIN _failed ", " _list)
  message(FATAL_ERROR "option combinations that do not configure: ${_list}")
endif()
