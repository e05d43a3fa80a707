# Install and export rules for the reader libraries, and the dependency code of meterlabConfig.cmake.
#
# The package has one component per library group; the exported targets of each live in their own
# file, loaded only when what they link is found on the consumer's machine:
#   engine            meterlab::engine (+ layers)   always loaded; needs Botan 2 (pkg-config botan-2)
#   reader            meterlab::reader              nlohmann_json
#   reader_solarview  meterlab::reader_solarview    (nothing outside)
#   reader_mqtt       meterlab::reader_mqtt         libmosquitto
#   reader_influx     meterlab::reader_influx       libcurl
#   reader_postgres   meterlab::reader_postgres     libpq
# find_package(meterlab) loads every component whose dependencies are present; a component named
# in COMPONENTS must be found, else find_package fails and says which dependency is missing.
#
# What each component needs is read from the targets' link interfaces here, at configure time,
# so the reader parts may link PkgConfig::X (pkg_check_modules IMPORTED_TARGET), CURL::libcurl,
# PostgreSQL::PostgreSQL, Threads::Threads or plain library names, and the installed config
# recreates exactly those targets.

# Link items of `target` that end up in its exported interface, with $<LINK_ONLY:> unwrapped,
# $<BUILD_INTERFACE:> dropped and $<INSTALL_INTERFACE:> kept.
function(_mlab_exported_links target out)
  get_target_property(items ${target} INTERFACE_LINK_LIBRARIES)
  set(result "")
  if(items)
    foreach(item IN LISTS items)
      if(item MATCHES "^\\$<LINK_ONLY:(.*)>$")
        set(item "${CMAKE_MATCH_1}")
      endif()
      if(item MATCHES "^\\$<BUILD_INTERFACE:")
        continue()
      elseif(item MATCHES "^\\$<INSTALL_INTERFACE:(.*)>$")
        set(item "${CMAKE_MATCH_1}")
      elseif(item MATCHES "^\\$<")
        message(WARNING "meterlab install: ${target} links '${item}'; the installed config "
                        "cannot recreate it: link the plain target instead")
        continue()
      endif()
      list(APPEND result "${item}")
    endforeach()
  endif()
  set(${out} "${result}" PARENT_SCOPE)
endfunction()

# pkg-config modules behind PkgConfig::<prefix>, as the project's pkg_check_modules call named them.
function(_mlab_pkg_modules prefix out)
  set(modules "")
  if(DEFINED __pkg_config_arguments_${prefix})
    foreach(arg IN LISTS __pkg_config_arguments_${prefix})
      if(NOT arg MATCHES "^(REQUIRED|QUIET|IMPORTED_TARGET|GLOBAL|NO_CMAKE_PATH|NO_CMAKE_ENVIRONMENT_PATH)$")
        list(APPEND modules "${arg}")
      endif()
    endforeach()
  elseif(DEFINED ${prefix}_MODULE_NAME)
    set(modules "${${prefix}_MODULE_NAME}")
  endif()
  set(${out} "${modules}" PARENT_SCOPE)
endfunction()

# CMake code for the installed config that makes the outside target `item` exist, or sets
# _mlab_ok FALSE and records what is missing. Appends to the variable named `out_var`.
function(_mlab_dependency_code item out_var)
  set(text "${${out_var}}")
  if(item MATCHES "^PkgConfig::(.+)$")
    set(prefix "${CMAKE_MATCH_1}")
    _mlab_pkg_modules(${prefix} modules)
    if(NOT modules)
      message(WARNING "meterlab install: cannot tell which pkg-config module ${item} is")
      return()
    endif()
    list(JOIN modules " " mods)
    string(APPEND text
      "  if(NOT TARGET ${item})\n"
      "    pkg_check_modules(${prefix} QUIET IMPORTED_TARGET ${mods})\n"
      "  endif()\n"
      "  _mlab_need_target(${item} \"pkg-config ${mods}\")\n")
  elseif(item MATCHES "^(Threads)::Threads$")
    string(APPEND text "  find_package(Threads QUIET)\n  _mlab_need_target(${item} \"Threads\")\n")
  elseif(item MATCHES "^nlohmann_json::")
    string(APPEND text "  find_package(nlohmann_json 3.10 QUIET)\n"
                       "  _mlab_need_target(${item} \"nlohmann_json >= 3.10\")\n")
  elseif(item MATCHES "^([A-Za-z0-9_]+)::")
    # CURL::libcurl, PostgreSQL::PostgreSQL, ...: the package of the same name defines it.
    set(pkg "${CMAKE_MATCH_1}")
    string(APPEND text "  find_package(${pkg} QUIET)\n  _mlab_need_target(${item} \"${pkg}\")\n")
  endif()
  # Plain names (mosquitto, -lpq, /usr/lib/..) are linked as given: nothing to find.
  set(${out_var} "${text}" PARENT_SCOPE)
endfunction()

# The real (non-alias) name of a project target, or "" when `item` is not one.
function(_mlab_project_target item out)
  set(real "")
  if(TARGET ${item})
    get_target_property(aliased ${item} ALIASED_TARGET)
    if(aliased)
      set(real ${aliased})
    else()
      get_target_property(imported ${item} IMPORTED)
      if(NOT imported)
        set(real ${item})
      endif()
    endif()
  endif()
  set(${out} "${real}" PARENT_SCOPE)
endfunction()

# meterlab_component_code(NAME comp TARGETS t... EXPORTED known... OUT_CODE var OUT_OK var)
# Checks that every project target the TARGETS link is in EXPORTED (installed and exported),
# writes the config code that finds their outside dependencies into OUT_CODE, and sets OUT_OK to
# FALSE (with a warning) when the component cannot be exported as it stands.
function(meterlab_component_code)
  cmake_parse_arguments(ARG "" "NAME;OUT_CODE;OUT_OK" "TARGETS;EXPORTED" ${ARGN})
  set(code "")
  set(seen "")
  set(ok TRUE)
  foreach(target IN LISTS ARG_TARGETS)
    _mlab_exported_links(${target} items)
    foreach(item IN LISTS items)
      if(item IN_LIST seen)
        continue()
      endif()
      list(APPEND seen "${item}")
      _mlab_project_target("${item}" real)
      if(real)
        if(NOT real IN_LIST ARG_EXPORTED)
          message(WARNING "meterlab install: ${target} links ${item}, which is not installed; "
                          "component ${ARG_NAME} is left out of the CMake package")
          set(ok FALSE)
        elseif(NOT real IN_LIST ARG_TARGETS)
          # Another component's target (meterlab::reader for the outputs): load only after it.
          get_target_property(name ${real} EXPORT_NAME)
          if(NOT name)
            set(name ${real})
          endif()
          string(APPEND code "  _mlab_need_target(meterlab::${name} \"meterlab::${name}\")\n")
        endif()
      else()
        _mlab_dependency_code("${item}" code)
      endif()
    endforeach()
  endforeach()
  set(${ARG_OUT_CODE} "${code}" PARENT_SCOPE)
  set(${ARG_OUT_OK} ${ok} PARENT_SCOPE)
endfunction()

# Every library target defined in `dir` and below.
function(meterlab_library_targets dir out)
  set(result "")
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  foreach(t IN LISTS targets)
    get_target_property(type ${t} TYPE)
    if(type MATCHES "^(STATIC|SHARED|INTERFACE)_LIBRARY$")
      list(APPEND result ${t})
    endif()
  endforeach()
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(sub IN LISTS subdirs)
    meterlab_library_targets(${sub} more)
    list(APPEND result ${more})
  endforeach()
  set(${out} "${result}" PARENT_SCOPE)
endfunction()

# meterlab_install_package(): installs the reader libraries and headers, every export file and
# meterlabConfig.cmake (+ version file). Call from the top-level directory after all targets exist.
function(meterlab_install_package)
  set(cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/meterlab)
  # The engine export set is filled by meterlab_add_layer (and the helpers' meterlab_options).
  meterlab_library_targets(${PROJECT_SOURCE_DIR}/engine engine_targets)
  set(exported meterlab_options ${engine_targets})
  meterlab_component_code(NAME engine TARGETS ${exported} EXPORTED ${exported}
                          OUT_CODE MLAB_ENGINE_DEPENDENCIES OUT_OK engine_ok)
  install(EXPORT meterlabTargets NAMESPACE meterlab:: DESTINATION ${cmake_dir})
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/engine/include/meterlab
          DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

  set(components "")
  set(component_code "")
  foreach(comp reader reader_solarview reader_mqtt reader_influx reader_postgres)
    if(NOT TARGET meterlab_${comp})
      continue()
    endif()
    meterlab_component_code(NAME ${comp} TARGETS meterlab_${comp} EXPORTED ${exported}
                            OUT_CODE deps OUT_OK ok)
    if(NOT ok)
      continue()
    endif()
    install(TARGETS meterlab_${comp} EXPORT meterlab_${comp}_targets
            ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
    install(EXPORT meterlab_${comp}_targets NAMESPACE meterlab:: DESTINATION ${cmake_dir}
            FILE meterlab-${comp}-targets.cmake)
    list(APPEND exported meterlab_${comp})
    list(APPEND components ${comp})
    string(APPEND component_code
      "# component ${comp}\n"
      "set(_mlab_ok TRUE)\nset(_mlab_missing \"\")\n"
      "if(NOT TARGET meterlab::${comp})\n${deps}"
      "  if(_mlab_ok)\n"
      "    include(\"\${CMAKE_CURRENT_LIST_DIR}/meterlab-${comp}-targets.cmake\")\n"
      "  endif()\n"
      "endif()\n"
      "_mlab_component_result(${comp})\n\n")
  endforeach()
  if(TARGET meterlab_reader)
    install(DIRECTORY ${PROJECT_SOURCE_DIR}/reader/include/meterlab
            DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  endif()

  set(MLAB_COMPONENTS "${components}")
  set(MLAB_COMPONENT_CODE "${component_code}")
  include(CMakePackageConfigHelpers)
  configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/meterlabConfig.cmake.in
    ${PROJECT_BINARY_DIR}/meterlabConfig.cmake
    INSTALL_DESTINATION ${cmake_dir})
  write_basic_package_version_file(${PROJECT_BINARY_DIR}/meterlabConfigVersion.cmake
    VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
  install(FILES ${PROJECT_BINARY_DIR}/meterlabConfig.cmake
                ${PROJECT_BINARY_DIR}/meterlabConfigVersion.cmake
          DESTINATION ${cmake_dir})
endfunction()
