# Optional CUDA backend. GLIA_CUDA=AUTO builds it when a CUDA compiler is found; the backend is
# then listed at run time only where a GPU is present, so the same build runs everywhere.
#
# It is a separate object library, `glia_accel`, linked only into programs that train (examples,
# tests, benchmarks): cuBLAS is ~570 MB of shared libraries, and loading it would cost the `glia`
# CLI ~70 ms at start-up. Its objects register the "cuda" backend from a static initializer.
set(GLIA_CUDA AUTO CACHE STRING "Build the CUDA backend: ON, OFF or AUTO")
set_property(CACHE GLIA_CUDA PROPERTY STRINGS ON OFF AUTO)

add_library(glia_accel INTERFACE)  # empty unless the CUDA backend is built

if(NOT GLIA_CUDA STREQUAL "OFF")
  if(NOT CMAKE_CUDA_COMPILER AND EXISTS /usr/local/cuda/bin/nvcc)
    set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
  endif()
  include(CheckLanguage)
  check_language(CUDA)
  file(GLOB GLIA_CUDA_SOURCES CONFIGURE_DEPENDS
       ${PROJECT_SOURCE_DIR}/src/engine/backends/cuda/*.cu
       ${PROJECT_SOURCE_DIR}/src/engine/backends/cuda/*.cpp)
  if(CMAKE_CUDA_COMPILER AND GLIA_CUDA_SOURCES)
    if(NOT CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES "80;90" CACHE STRING "CUDA architectures (A100, H100/H200)" FORCE)
    endif()
    enable_language(CUDA)
    find_package(CUDAToolkit REQUIRED)
    add_library(glia_cuda OBJECT ${GLIA_CUDA_SOURCES})
    set_target_properties(glia_cuda PROPERTIES CUDA_ARCHITECTURES "${CMAKE_CUDA_ARCHITECTURES}"
                                               CUDA_STANDARD 17 CUDA_STANDARD_REQUIRED ON)
    target_include_directories(glia_cuda PRIVATE ${PROJECT_SOURCE_DIR}/src/engine)
    target_compile_options(glia_cuda PRIVATE
      "$<$<COMPILE_LANGUAGE:CUDA>:--expt-relaxed-constexpr>"
      "$<$<COMPILE_LANGUAGE:CXX>:${GLIA_WARNINGS}>")
    target_link_libraries(glia_cuda PUBLIC glia CUDA::cudart CUDA::cublas)
    target_link_libraries(glia_accel INTERFACE glia_cuda $<TARGET_OBJECTS:glia_cuda>)
    message(STATUS "Glia: CUDA backend enabled (${CMAKE_CUDA_COMPILER_VERSION}, archs ${CMAKE_CUDA_ARCHITECTURES})")
  elseif(GLIA_CUDA STREQUAL "ON")
    message(FATAL_ERROR "GLIA_CUDA=ON but no CUDA compiler was found")
  else()
    message(STATUS "Glia: CUDA backend not built (no CUDA compiler found)")
  endif()
endif()
