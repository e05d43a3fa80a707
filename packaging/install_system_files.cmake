# Runs at install time (cmake --install, cpack), when the prefix is known: installs the systemd
# unit with the real paths of the binary and the config, and the example config, which is never
# written over an existing one (a local config survives `cmake --install`; the .deb marks it a
# conffile so dpkg asks). Set by the caller: MLAB_PACKAGING_DIR, MLAB_BINARY_DIR, MLAB_REL_BINDIR,
# MLAB_REL_DOCDIR.
set(_mlab_prefix "${CMAKE_INSTALL_PREFIX}")
# The configuration directory as GNUInstallDirs places it: /etc for the /usr and / prefixes.
if(_mlab_prefix MATCHES "^/(usr/?)?$")
  set(MLAB_SYSCONFDIR "/etc")
elseif(_mlab_prefix MATCHES "^/opt/(.+)$")
  set(MLAB_SYSCONFDIR "/etc/opt/${CMAKE_MATCH_1}")
else()
  set(MLAB_SYSCONFDIR "${_mlab_prefix}/etc")
endif()
string(REGEX REPLACE "/$" "" _mlab_root "${_mlab_prefix}")
set(MLAB_BINDIR "${_mlab_root}/${MLAB_REL_BINDIR}")
set(MLAB_DOCDIR "${_mlab_root}/${MLAB_REL_DOCDIR}")

# One generated unit per destination: parallel installs to different prefixes do not share it.
string(MD5 _mlab_key "$ENV{DESTDIR}|${_mlab_prefix}")
set(_mlab_unit "${MLAB_BINARY_DIR}/packaging/${_mlab_key}/meterlab-reader.service")
configure_file("${MLAB_PACKAGING_DIR}/meterlab-reader.service.in" "${_mlab_unit}" @ONLY)
file(INSTALL DESTINATION "${_mlab_root}/lib/systemd/system" TYPE FILE FILES "${_mlab_unit}")

if(EXISTS "$ENV{DESTDIR}${MLAB_SYSCONFDIR}/meterlab/config.json")
  message(STATUS "Keeping: $ENV{DESTDIR}${MLAB_SYSCONFDIR}/meterlab/config.json")
else()
  file(INSTALL DESTINATION "${MLAB_SYSCONFDIR}/meterlab" TYPE FILE
       FILES "${MLAB_PACKAGING_DIR}/config.json")
endif()
