# Optional CUDA backend. GLIA_CUDA=AUTO builds it when a CUDA compiler is found; the backend is
# then listed at run time only where a GPU is present, so the same build runs everywhere.
set(GLIA_CUDA AUTO CACHE STRING "Build the CUDA backend: ON, OFF or AUTO")
set_property(CACHE GLIA_CUDA PROPERTY STRINGS ON OFF AUTO)

if(NOT GLIA_CUDA STREQUAL "OFF")
  if(NOT CMAKE_CUDA_COMPILER AND EXISTS /usr/local/cuda/bin/nvcc)
    set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
  endif()
  include(CheckLanguage)
  check_language(CUDA)
  file(GLOB GLIA_CUDA_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/engine/backends/cuda/*.cu)
  if(CMAKE_CUDA_COMPILER AND GLIA_CUDA_SOURCES)
    if(NOT CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES "80;90" CACHE STRING "CUDA architectures (A100, H100/H200)" FORCE)
    endif()
    enable_language(CUDA)
    find_package(CUDAToolkit REQUIRED)
    set(CMAKE_CUDA_STANDARD 17)  # CMake 3.25 knows no CUDA 20 dialect for nvcc
    target_sources(glia PRIVATE ${GLIA_CUDA_SOURCES})
    set_target_properties(glia PROPERTIES CUDA_ARCHITECTURES "${CMAKE_CUDA_ARCHITECTURES}"
                                          CUDA_STANDARD 17 CUDA_STANDARD_REQUIRED ON)
    target_compile_definitions(glia PRIVATE GLIA_WITH_CUDA=1)
    # The CUDA runtime is loaded lazily by the driver; the stubs let it link on GPU-less machines.
    target_link_libraries(glia PRIVATE CUDA::cudart CUDA::cublas)
    set_source_files_properties(${GLIA_CUDA_SOURCES} PROPERTIES COMPILE_OPTIONS "--expt-relaxed-constexpr")
    message(STATUS "Glia: CUDA backend enabled (${CMAKE_CUDA_COMPILER_VERSION}, archs ${CMAKE_CUDA_ARCHITECTURES})")
  elseif(GLIA_CUDA STREQUAL "ON")
    message(FATAL_ERROR "GLIA_CUDA=ON but no CUDA compiler was found")
  else()
    message(STATUS "Glia: CUDA backend not built (no CUDA compiler found)")
  endif()
endif()
