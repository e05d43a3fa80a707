# The Debian package (cpack -G DEB in the build tree): the `meterlab` command with its systemd
# unit meterlab-reader.service and the config /etc/meterlab/config.json (a conffile), plus the
# libraries, headers and CMake package for building against meterlab. Included from the
# top-level CMakeLists.txt (MLAB_INSTALL).

# Files that only make sense on a system with the command: the unit, the config example, the
# packaging README. OFF for a library-only install.
option(MLAB_INSTALL_SERVICE "Install the systemd unit and the config example (with MLAB_CLI)" ON)
set(MLAB_REL_DOCDIR ${CMAKE_INSTALL_DATAROOTDIR}/doc/meterlab)
if(MLAB_CLI AND MLAB_INSTALL_SERVICE)
  install(FILES ${CMAKE_CURRENT_LIST_DIR}/README.packaging.md DESTINATION ${MLAB_REL_DOCDIR})
  install(CODE "
    set(MLAB_PACKAGING_DIR \"${CMAKE_CURRENT_LIST_DIR}\")
    set(MLAB_BINARY_DIR \"${PROJECT_BINARY_DIR}\")
    set(MLAB_REL_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
    set(MLAB_REL_DOCDIR \"${MLAB_REL_DOCDIR}\")
    include(\"${CMAKE_CURRENT_LIST_DIR}/install_system_files.cmake\")
  ")
endif()

# `cmake --install --strip` and cpack (CPACK_STRIP_FILES) strip the binary; the static libraries
# lose their debug sections too (else they are 90% of the package). Runs after every library is
# installed: the top-level install rules come last. The manifest holds paths without DESTDIR.
install(CODE "
  if(CMAKE_INSTALL_DO_STRIP)
    foreach(_mlab_f IN LISTS CMAKE_INSTALL_MANIFEST_FILES)
      if(_mlab_f MATCHES \"/libmeterlab_[A-Za-z0-9_]+[.]a$\")
        execute_process(COMMAND \"${CMAKE_STRIP}\" --strip-debug \"\$ENV{DESTDIR}\${_mlab_f}\")
      endif()
    endforeach()
  endif()
")

set(CPACK_PACKAGE_NAME meterlab)
set(CPACK_PACKAGE_VENDOR "meterlab")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "smart-meter customer-interface reader (DLMS/COSEM, HDLC, M-Bus) to MQTT, InfluxDB, PostgreSQL")
set(CPACK_PACKAGE_DESCRIPTION
"meterlab decodes the push data of European smart meters (Nordic HAN port, Austrian
Kundenschnittstelle, P1): DLMS/COSEM data notifications in HDLC frames or M-Bus long
frames, plain or AES-128-GCM encrypted. The meterlab-reader service reads a meter on a
serial adapter, pty or TCP bridge and publishes every reading to MQTT (with Home
Assistant discovery), InfluxDB, PostgreSQL, JSON lines or a Solarview file.
Also ships the static libraries, headers and CMake package (find_package(meterlab)).")
set(CPACK_PACKAGE_CONTACT "meterlab maintainers <meterlab@localhost>")
set(CPACK_GENERATOR DEB)
set(CPACK_SOURCE_GENERATOR "")
# Install as root of the package with DESTDIR, so /etc/meterlab lands at /etc, not /usr/etc.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_COMPRESSION_TYPE gzip)
# Run-time libraries from the binary's NEEDED entries (libbotan-2-19, libmosquitto1, libcurl4,
# libpq5, libstdc++6, libc6, ...); adduser for the service user created by postinst.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS
    "mosquitto, influxdb, postgresql, libbotan-2-dev, nlohmann-json3-dev, pkg-config, libmosquitto-dev, libcurl4-openssl-dev | libcurl-dev, libpq-dev")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_CURRENT_LIST_DIR}/debian/conffiles
    ${CMAKE_CURRENT_LIST_DIR}/debian/postinst
    ${CMAKE_CURRENT_LIST_DIR}/debian/prerm
    ${CMAKE_CURRENT_LIST_DIR}/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
