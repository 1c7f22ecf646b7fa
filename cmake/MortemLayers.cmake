# mortem_layer(TARGET DIR DEPS EXTERNAL_LIBS): one static library per layer from src/DIR/*.cpp,
# with public headers under include/mortem/DIR. A layer may include only its own headers and
# those of the layers in DEPS (checked at configure time by scanning #include lines).
set(MORTEM_LAYER_ORDER core elf v8 native analysis format commands)

function(mortem_layer target dir deps externals)
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/${dir}/*.cpp)
  add_library(${target} STATIC ${sources})
  target_include_directories(${target} PUBLIC ${CMAKE_SOURCE_DIR}/include)
  target_link_libraries(${target} PUBLIC ${deps} ${externals})
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  # Layering check: collect the layer directories this one may include.
  set(allowed ${dir})
  foreach(dep IN LISTS deps)
    string(REPLACE "mortem_" "" dep_dir ${dep})
    get_property(dep_allowed GLOBAL PROPERTY MORTEM_ALLOWED_${dep_dir})
    list(APPEND allowed ${dep_dir} ${dep_allowed})
  endforeach()
  list(REMOVE_DUPLICATES allowed)
  set_property(GLOBAL PROPERTY MORTEM_ALLOWED_${dir} ${allowed})
  file(GLOB_RECURSE files CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/${dir}/*.cpp
       ${CMAKE_SOURCE_DIR}/include/mortem/${dir}/*.h)
  foreach(file IN LISTS files)
    file(STRINGS ${file} includes REGEX "^#include [<\"]mortem/[a-z_]+/")
    foreach(line IN LISTS includes)
      string(REGEX REPLACE "^#include [<\"]mortem/([a-z_]+)/.*" "\\1" used ${line})
      if(NOT used IN_LIST allowed)
        message(FATAL_ERROR "Layering: ${file} (layer ${dir}) includes mortem/${used}/, "
                            "which is not below it (allowed: ${allowed})")
      endif()
    endforeach()
    file(STRINGS ${file} lldb_includes REGEX "^#include [<\"]lldb/")
    if(lldb_includes)
      message(FATAL_ERROR "Layering: ${file} includes LLDB headers; only plugin/ may")
    endif()
  endforeach()
endfunction()
