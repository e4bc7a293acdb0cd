# Workbook.cmake — the two tracks, modules, guests and chapter targets.
#
# A module is one library under solutions/<dir>. The chapter that owns it is
# the one whose chapters/NN-slug/chapter.toml lists <dir> in its `modules`
# line. On the labs track (WB_TRACK=labs, or WB_TRACK_NN=labs for chapter NN)
# each source that has a twin under ${WB_LABS_DIR}/<dir>/ is compiled from
# there instead: that twin is the reader's file, with LAB regions as stubs.

# Sets `out` to the two-digit number of the chapter that owns module `dir`
# (e.g. "vmm/kvm"), or to "" when no chapter lists it (shared support code).
function(uh_module_chapter out dir)
  file(GLOB tomls "${CMAKE_SOURCE_DIR}/chapters/*/chapter.toml")
  foreach(toml IN LISTS tomls)
    set_property(DIRECTORY "${CMAKE_SOURCE_DIR}" APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${toml}")
    file(STRINGS "${toml}" lines REGEX "^modules[ \t]*=")
    foreach(line IN LISTS lines)
      string(REGEX MATCHALL "\"[^\"]+\"" modules "${line}")
      foreach(module IN LISTS modules)
        string(REPLACE "\"" "" module "${module}")
        if(module STREQUAL dir)
          get_filename_component(chapter_dir "${toml}" DIRECTORY)
          get_filename_component(chapter_name "${chapter_dir}" NAME)
          string(SUBSTRING "${chapter_name}" 0 2 number)
          set(${out} "${number}" PARENT_SCOPE)
          return()
        endif()
      endforeach()
    endforeach()
  endforeach()
  set(${out} "" PARENT_SCOPE)
endfunction()

# Sets `out` to the track chapter `number` is built from.
function(uh_chapter_track out number)
  set(track "${WB_TRACK}")
  if(DEFINED WB_TRACK_${number} AND NOT "${WB_TRACK_${number}}" STREQUAL "")
    set(track "${WB_TRACK_${number}}")
  endif()
  if(NOT track MATCHES "^(solutions|labs)$")
    message(FATAL_ERROR "WB_TRACK${number}: '${track}' is not a track; use solutions or labs")
  endif()
  set(${out} "${track}" PARENT_SCOPE)
endfunction()

# uh_add_module(<target> SOURCES <file>... [DEPS <target>...])
# Called from solutions/<dir>/CMakeLists.txt.
function(uh_add_module target)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  file(RELATIVE_PATH dir "${CMAKE_SOURCE_DIR}/solutions" "${CMAKE_CURRENT_SOURCE_DIR}")
  uh_module_chapter(number "${dir}")
  set(track solutions)
  if(NOT number STREQUAL "")
    uh_chapter_track(track "${number}")
  endif()
  set(sources)
  foreach(source IN LISTS ARG_SOURCES)
    set(path "${CMAKE_CURRENT_SOURCE_DIR}/${source}")
    set(lab "${WB_LABS_DIR}/${dir}/${source}")
    if(track STREQUAL "labs" AND EXISTS "${lab}")
      set(path "${lab}")
      # The reader's half-written code should build with warnings, not fail on them.
      set_source_files_properties("${lab}" PROPERTIES COMPILE_OPTIONS
        "-Wno-error;-Wno-unused-parameter;-Wno-unused-variable;-Wno-unused-function;-Wno-unused-but-set-variable")
    endif()
    list(APPEND sources "${path}")
  endforeach()
  add_library(${target} STATIC ${sources})
  target_include_directories(${target} PUBLIC "${CMAKE_SOURCE_DIR}/solutions")
  target_link_libraries(${target} PUBLIC ${ARG_DEPS})
  if(NOT number STREQUAL "")
    message(STATUS "module ${dir} (chapter ${number}): ${track} track")
  endif()
endfunction()

# uh_add_real_mode_image(<target> <symbol> <file.s>)
# Assembles a 16-bit guest into a flat binary linked at 0x1000 and compiles it
# into a C++ source that defines uh::guest::realmode::<symbol> as a byte span.
find_program(UH_AS NAMES as REQUIRED)
find_program(UH_LD NAMES ld REQUIRED)
function(uh_add_real_mode_image target symbol source)
  get_filename_component(stem "${source}" NAME_WE)
  set(object "${CMAKE_CURRENT_BINARY_DIR}/${stem}.o")
  set(binary "${CMAKE_CURRENT_BINARY_DIR}/${stem}.bin")
  set(generated "${CMAKE_CURRENT_BINARY_DIR}/${stem}_image.cc")
  add_custom_command(
    OUTPUT "${generated}"
    COMMAND "${UH_AS}" --32 -o "${object}" "${CMAKE_CURRENT_SOURCE_DIR}/${source}"
    COMMAND "${UH_LD}" -m elf_i386 -Ttext=0x1000 -e _start --oformat binary -o "${binary}" "${object}"
    COMMAND "${CMAKE_COMMAND}" -DINPUT=${binary} -DOUTPUT=${generated} -DSYMBOL=${symbol}
            -DNAMESPACE=uh::guest::realmode -P "${CMAKE_SOURCE_DIR}/ci/cmake/embed.cmake"
    DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/${source}" "${CMAKE_SOURCE_DIR}/ci/cmake/embed.cmake"
    COMMENT "Assembling real-mode guest ${source}"
    VERBATIM)
  target_sources(${target} PRIVATE "${generated}")
endfunction()

# uh_add_freestanding_guest(<target> <symbol> LINKER_SCRIPT <file.ld> SOURCES <file>...)
# Compiles a 64-bit guest for bare metal (no libc, no SSE, no red zone, the
# kernel code model), links it with its own linker script into an ELF file,
# and compiles that file into a C++ source defining <symbol> as a byte span in
# uh::guest::longmode. The compiler is the project's, but none of the
# project's flags (sanitizers, coverage) reach the guest: it has no runtime.
function(uh_add_freestanding_guest target symbol)
  cmake_parse_arguments(ARG "" "LINKER_SCRIPT" "SOURCES" ${ARGN})
  set(flags -std=c++20 -O2 -g0 -ffreestanding -fno-exceptions -fno-rtti -fno-stack-protector
            -fno-pic -fno-pie -mno-red-zone -mcmodel=kernel -mno-mmx -mno-sse -mno-sse2
            -fno-asynchronous-unwind-tables -fno-threadsafe-statics -fcf-protection=none
            -nostdlib -Wall -Wextra -Werror -I${CMAKE_SOURCE_DIR}/solutions)
  # Every header of the guest and of the ABI it shares with the VMM.
  file(GLOB headers "${CMAKE_CURRENT_SOURCE_DIR}/*.h" "${CMAKE_SOURCE_DIR}/solutions/vmm/*/*_abi.h")
  set(objects)
  foreach(source IN LISTS ARG_SOURCES)
    get_filename_component(stem "${source}" NAME)
    set(object "${CMAKE_CURRENT_BINARY_DIR}/${target}-${stem}.o")
    add_custom_command(
      OUTPUT "${object}"
      COMMAND "${CMAKE_CXX_COMPILER}" ${flags} -c "${CMAKE_CURRENT_SOURCE_DIR}/${source}" -o "${object}"
      DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/${source}" ${headers}
      COMMENT "Compiling freestanding guest source ${source}"
      VERBATIM)
    list(APPEND objects "${object}")
  endforeach()
  set(elf "${CMAKE_CURRENT_BINARY_DIR}/${target}.elf")
  set(generated "${CMAKE_CURRENT_BINARY_DIR}/${target}_image.cc")
  add_custom_command(
    OUTPUT "${generated}"
    COMMAND "${UH_LD}" -m elf_x86_64 -static -nostdlib -z max-page-size=0x1000 --build-id=none
            -T "${CMAKE_CURRENT_SOURCE_DIR}/${ARG_LINKER_SCRIPT}" -o "${elf}" ${objects}
    COMMAND "${CMAKE_COMMAND}" -DINPUT=${elf} -DOUTPUT=${generated} -DSYMBOL=${symbol}
            -DNAMESPACE=uh::guest::longmode -P "${CMAKE_SOURCE_DIR}/ci/cmake/embed.cmake"
    DEPENDS ${objects} "${CMAKE_CURRENT_SOURCE_DIR}/${ARG_LINKER_SCRIPT}"
            "${CMAKE_SOURCE_DIR}/ci/cmake/embed.cmake"
    COMMENT "Linking freestanding guest ${target}.elf"
    VERBATIM)
  add_library(${target} STATIC "${generated}")
  target_include_directories(${target} PUBLIC "${CMAKE_SOURCE_DIR}/solutions")
endfunction()

# uh_add_fuzz_target(<NN> <name> <target.cc> <replay_main.cc> LIBS <target>...)
# A fuzz target for input from outside, built two ways: chNN_<name>_replay, an
# ordinary seeded replay test (chNN.Fuzz.<Name>Replay) on every build, and
# fuzz-NN-<name>, a libFuzzer binary when UH_FUZZ=ON (the `fuzz` preset).
function(uh_add_fuzz_target number name target_source replay_source)
  cmake_parse_arguments(ARG "" "" "LIBS" ${ARGN})
  string(SUBSTRING "${name}" 0 1 first)
  string(TOUPPER "${first}" first)
  string(SUBSTRING "${name}" 1 -1 rest)
  add_executable(ch${number}_${name}_replay ${target_source} ${replay_source})
  target_link_libraries(ch${number}_${name}_replay PRIVATE ${ARG_LIBS})
  add_test(NAME ch${number}.Fuzz.${first}${rest}Replay COMMAND ch${number}_${name}_replay)
  set_tests_properties(ch${number}.Fuzz.${first}${rest}Replay
    PROPERTIES LABELS ch${number} TIMEOUT 120)
  if(UH_FUZZ)
    add_executable(fuzz-${number}-${name} ${target_source})
    target_link_libraries(fuzz-${number}-${name} PRIVATE ${ARG_LIBS})
    target_link_options(fuzz-${number}-${name} PRIVATE -fsanitize=fuzzer)
  endif()
endfunction()

# uh_add_chapter_tests(<NN> SOURCES <file>... LIBS <target>...)
# One GoogleTest binary per chapter; every test becomes a CTest test named
# chNN.<Suite>.<Test>, labelled chNN, with a timeout.
function(uh_add_chapter_tests number)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  set(target ch${number}_tests)
  add_executable(${target} ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE ${ARG_LIBS} uh_host GTest::gtest_main GTest::gmock)
  gtest_discover_tests(${target}
    TEST_PREFIX "ch${number}."
    PROPERTIES LABELS "ch${number}" TIMEOUT 60
    DISCOVERY_TIMEOUT 30)
endfunction()
