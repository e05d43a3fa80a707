# Shared compile settings and two helpers: one engine layer a target, one test executable a layer.

add_library(meterlab_options INTERFACE)
target_compile_options(meterlab_options INTERFACE
  $<$<CXX_COMPILER_ID:GNU,Clang>:-Wall -Wextra -Wshadow -Wconversion -Wsign-conversion
                                 -Wnon-virtual-dtor -Wold-style-cast>
  $<$<BOOL:${MLAB_WERROR}>:-Werror>)
# GCC 12 at -O3 (the Release build of the benchmarks) sees a memcpy overlap that cannot happen in
# std::string's operator+ ("@" + text; GCC PR 105329), a false positive of -Wrestrict that made
# -DMLAB_WERROR=ON Release builds of the simulator's learner fail: not an error in Release.
target_compile_options(meterlab_options INTERFACE
  $<$<AND:$<CXX_COMPILER_ID:GNU>,$<CONFIG:Release>>:-Wno-restrict>)
if(MLAB_SANITIZE)
  # GCC 12's std::regex trips -Wmaybe-uninitialized inside std::function's move when built at -O1
  # with the sanitizers (a false positive of GCC's, PR 105562): not an error there, in any target
  # that uses std::regex (conformance adapters, the simulator's P1 tests). The -O2 -Werror build
  # keeps the warning.
  target_compile_options(meterlab_options INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
    $<$<CXX_COMPILER_ID:GNU>:-Wno-maybe-uninitialized>)
  target_link_options(meterlab_options INTERFACE -fsanitize=address,undefined)
endif()
if(MLAB_INSTALL)
  install(TARGETS meterlab_options EXPORT meterlabTargets)
endif()

# meterlab_add_layer(NAME SOURCES a.cpp ... DEPS meterlab_core ...)
# Builds meterlab_<NAME>, ALIAS meterlab::<NAME>, public headers in engine/include.
function(meterlab_add_layer name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(meterlab_${name} STATIC ${ARG_SOURCES})
  add_library(meterlab::${name} ALIAS meterlab_${name})
  set_target_properties(meterlab_${name} PROPERTIES EXPORT_NAME ${name} OUTPUT_NAME meterlab_${name})
  target_include_directories(meterlab_${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/engine/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_link_libraries(meterlab_${name} PUBLIC ${ARG_DEPS} PRIVATE meterlab_options ${ARG_PRIVATE_DEPS})
  target_compile_features(meterlab_${name} PUBLIC cxx_std_20)
  if(MLAB_INSTALL)
    install(TARGETS meterlab_${name} EXPORT meterlabTargets
            ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
  endif()
endfunction()

# meterlab_add_test(NAME SOURCES a_test.cpp ... DEPS meterlab::hdlc ... [INCLUDES dir ...] [SERIAL])
# SERIAL: tests that time the wall clock run alone, not beside other tests. INCLUDES: directories
# of test-only headers. Without MLAB_TESTS there is no target: nothing else may name it.
function(meterlab_add_test name)
  cmake_parse_arguments(ARG "SERIAL" "" "SOURCES;DEPS;INCLUDES" ${ARGN})
  if(NOT MLAB_TESTS)
    return()
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} meterlab_options GTest::gtest GTest::gtest_main)
  target_include_directories(${name} PRIVATE ${ARG_INCLUDES})
  target_compile_definitions(${name} PRIVATE MLAB_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  if(ARG_SERIAL)
    gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS realtime RUN_SERIAL TRUE)
  else()
    gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS unit)
  endif()
endfunction()

# meterlab_embed_json(OUT_VAR DIR FUNCTION NAMESPACE WHAT)
# Embeds every DIR/*.json (relative to the calling CMakeLists) into a generated C++ file (see
# cmake/embed_json.cmake for what it defines) and sets OUT_VAR to that file, for a target's sources.
function(meterlab_embed_json out_var dir function namespace what)
  get_filename_component(abs_dir ${CMAKE_CURRENT_SOURCE_DIR}/${dir} ABSOLUTE)
  file(GLOB files CONFIGURE_DEPENDS ${abs_dir}/*.json)
  list(SORT files)
  string(REPLACE ";" "|" files_arg "${files}")
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${function}.cpp)
  file(RELATIVE_PATH origin ${PROJECT_SOURCE_DIR} ${abs_dir})
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} "-DIN=${files_arg}" -DOUT=${out} -DNAMESPACE=${namespace}
            -DFUNCTION=${function} -DORIGIN=${origin}/*.json
            -P ${PROJECT_SOURCE_DIR}/cmake/embed_json.cmake
    DEPENDS ${files} ${PROJECT_SOURCE_DIR}/cmake/embed_json.cmake
    COMMENT "Embedding ${what}"
    VERBATIM)
  set(${out_var} ${out} PARENT_SCOPE)
endfunction()
