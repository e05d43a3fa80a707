# ctest deb_package_test: builds the .deb from the build tree (cpack -G DEB into a temp dir) and
# checks it with dpkg-deb: the binary, the systemd unit, the config marked as a conffile, the
# maintainer scripts, Depends covering every library the binary needs (and no -dev package), and
# the unit passing `systemd-analyze verify` where systemd-analyze exists.
# Parameters: BUILD_DIR, SOURCE_DIR.
set(work "${BUILD_DIR}/deb-package-test")
file(REMOVE_RECURSE "${work}")
file(MAKE_DIRECTORY "${work}")

function(run)  # run(VAR cmd args...): output into VAR, fail the test on a non-zero exit
  list(POP_FRONT ARGV var)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err
                  WORKING_DIRECTORY "${work}")
  if(rc)
    message(FATAL_ERROR "${ARGV}: exit ${rc}\n${out}\n${err}")
  endif()
  set(${var} "${out}" PARENT_SCOPE)
endfunction()

function(expect cond_text)  # expect("what" <condition>...)
  if(NOT (${ARGN}))
    message(FATAL_ERROR "deb_package_test: ${cond_text}")
  endif()
endfunction()

foreach(tool cpack dpkg-deb dpkg-query)
  find_program(have_${tool} ${tool})
  expect("${tool} not found" have_${tool})
endforeach()
file(STRINGS "${BUILD_DIR}/CMakeCache.txt" version_line REGEX "^CMAKE_PROJECT_VERSION:")
string(REGEX REPLACE "^[^=]*=" "" version "${version_line}")

run(out ${have_cpack} -G DEB --config "${BUILD_DIR}/CPackConfig.cmake" -B "${work}")
file(GLOB debs "${work}/*.deb")
list(LENGTH debs n)
expect("expected one .deb, found: ${debs}" n EQUAL 1)
message(STATUS "built ${debs}")

# ---- control: name, version, Depends, conffiles, maintainer scripts ----------------------------
run(info dpkg-deb -I "${debs}")
message(STATUS "dpkg-deb -I:\n${info}")
expect("Package is not meterlab" info MATCHES "\n Package: meterlab\n")
expect("Version is not ${version}" info MATCHES "\n Version: ${version}\n")
foreach(script postinst prerm postrm conffiles)
  expect("control member ${script} missing" info MATCHES "lines +\\*? +${script}[ \n]")
endforeach()
run(conffiles dpkg-deb -I "${debs}" conffiles)
expect("conffiles is '${conffiles}'" conffiles STREQUAL "/etc/meterlab/config.json\n")
string(REGEX MATCH "\n Depends: ([^\n]*)" _ "${info}")
set(depends "${CMAKE_MATCH_1}")
expect("no Depends" depends MATCHES ".")
expect("Depends names a -dev package: ${depends}" NOT depends MATCHES "-dev( |,|$)")
foreach(pkg adduser libc6 libstdc\\+\\+6)
  expect("Depends lacks ${pkg}: ${depends}" depends MATCHES "(^|, )${pkg}( |,|$)")
endforeach()

# ---- contents ------------------------------------------------------------------------------------
run(contents dpkg-deb -c "${debs}")
foreach(path ./usr/bin/meterlab ./usr/lib/systemd/system/meterlab-reader.service
             ./etc/meterlab/config.json ./usr/share/doc/meterlab/README.packaging.md
             ./usr/include/meterlab/reader/sink.hpp ./usr/include/meterlab/decoder/decoder.hpp)
  expect("${path} not in the package" contents MATCHES " ${path}\n")
endforeach()
expect("meterlab is not executable" contents MATCHES "-rwxr-xr-x root/root [^\n]* ./usr/bin/meterlab\n")
expect("the package holds /usr/etc" NOT contents MATCHES " ./usr/etc/")
expect("the package holds keys.json" NOT contents MATCHES "keys\\.json")
expect("the package holds build paths" NOT contents MATCHES "${BUILD_DIR}")

# ---- every library the binary needs comes from a package in Depends ------------------------------
set(root "${work}/root")
run(out dpkg-deb -x "${debs}" "${root}")
find_program(objdump objdump)
expect("objdump not found" objdump)
run(dyn ${objdump} -p "${root}/usr/bin/meterlab")
string(REGEX MATCHALL "NEEDED +[^\n]+" needed "${dyn}")
expect("the binary needs no library?" needed)
foreach(entry IN LISTS needed)
  string(REGEX REPLACE "NEEDED +" "" soname "${entry}")
  execute_process(COMMAND dpkg-query -S "*/${soname}" OUTPUT_VARIABLE owners RESULT_VARIABLE rc)
  expect("no package owns ${soname}" rc EQUAL 0)
  string(REGEX MATCHALL "(^|\n)[^:,\n]+" owner_list "${owners}")
  set(covered FALSE)
  foreach(owner IN LISTS owner_list)
    string(STRIP "${owner}" owner)
    string(REGEX REPLACE "([+.])" "\\\\\\1" owner_re "${owner}")
    if(depends MATCHES "(^|, )${owner_re}( |,|$)")
      set(covered TRUE)
    endif()
  endforeach()
  expect("${soname} (from ${owner_list}) is not in Depends: ${depends}" covered)
endforeach()
list(LENGTH needed n_needed)
message(STATUS "Depends: ${depends} (covers all ${n_needed} NEEDED libraries)")

# ---- the unit and the config ---------------------------------------------------------------------
set(unit "${root}/usr/lib/systemd/system/meterlab-reader.service")
file(READ "${unit}" unit_text)
foreach(line "ExecStart=/usr/bin/meterlab decode --config /etc/meterlab/config.json"
             "Restart=on-failure" "User=meterlab" "SupplementaryGroups=dialout"
             "DeviceAllow=char-ttyUSB rw" "StandardOutput=journal" "WantedBy=multi-user.target")
  expect("unit lacks '${line}'" unit_text MATCHES "\n${line}\n")
endforeach()
expect("unit hides /dev (PrivateDevices)" NOT unit_text MATCHES "\nPrivateDevices=(yes|true|1)")

file(READ "${root}/etc/meterlab/config.json" config)
string(JSON device ERROR_VARIABLE jerr GET "${config}" input device)
expect("config: input.device is '${device}' ${jerr}" device STREQUAL "/dev/ttyUSB0")
string(JSON host ERROR_VARIABLE jerr GET "${config}" outputs mqtt host)
expect("config: outputs.mqtt.host is '${host}' ${jerr}" host STREQUAL "127.0.0.1")

# The packaged binary accepts the packaged config (exit 2 means a usage or config error): it
# reads a golden vector instead of /dev/ttyUSB0 and decodes it; no broker listens, the MQTT
# output only counts its failures. A config with an unknown key must give exit 2.
file(READ "${SOURCE_DIR}/vectors/hdlc-plain/aidon-6525-list1.json" vector)
string(JSON hex GET "${vector}" input_hex)
file(WRITE "${work}/frame.hex" "${hex}\n")
execute_process(COMMAND "${root}/usr/bin/meterlab" decode --config "${root}/etc/meterlab/config.json"
                        --hex --no-reopen "${work}/frame.hex"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 30)
expect("meterlab decode --config <packaged config>: exit ${rc}\n${out}${err}" rc EQUAL 0)
string(JSON bad SET "${config}" input no_such_key 1)
file(WRITE "${work}/bad.json" "${bad}")
execute_process(COMMAND "${root}/usr/bin/meterlab" decode --config "${work}/bad.json" --hex
                        --no-reopen "${work}/frame.hex"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 30)
expect("a config with an unknown key gave exit ${rc}: ${err}" rc EQUAL 2)
message(STATUS "packaged config accepted by the packaged meterlab; a bad one refused: ${err}")

find_program(analyze systemd-analyze)
if(analyze)
  # Verified inside the unpacked package as root directory, so ExecStart's /usr/bin/meterlab is
  # the packaged binary; a copy of the unit with the path made absolute for hosts whose
  # systemd-analyze lacks --root.
  string(REPLACE "/usr/bin/meterlab" "${root}/usr/bin/meterlab" host_unit "${unit_text}")
  file(MAKE_DIRECTORY "${work}/verify")
  file(WRITE "${work}/verify/meterlab-reader.service" "${host_unit}")
  execute_process(COMMAND ${analyze} verify "${work}/verify/meterlab-reader.service"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  expect("systemd-analyze verify failed (${rc}):\n${out}${err}" rc EQUAL 0)
  string(STRIP "${out}${err}" said)
  expect("systemd-analyze verify complained about the unit:\n${said}" NOT said MATCHES "meterlab-reader")
  message(STATUS "systemd-analyze verify: ok ${said}")
else()
  message(STATUS "systemd-analyze not installed: unit not verified")
endif()
