# Writes epochcore_version.h with the source tree's current `git describe --always --dirty`
# (run at every build by the ec_version target, so the revision never goes stale; the file
# is rewritten only when its text changes, so nothing rebuilds needlessly).
# Inputs: SRC (source root), OUT (header path), VERSION, MAJOR, MINOR, PATCH, TEMPLATE.
set(EPOCHCORE_GIT_REVISION unknown)
find_package(Git QUIET)
if(GIT_FOUND AND EXISTS ${SRC}/.git)
  execute_process(COMMAND ${GIT_EXECUTABLE} describe --always --dirty
                  WORKING_DIRECTORY ${SRC}
                  OUTPUT_VARIABLE rev OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE rc ERROR_QUIET)
  if(rc EQUAL 0 AND rev)
    set(EPOCHCORE_GIT_REVISION ${rev})
  endif()
endif()
set(PROJECT_VERSION ${VERSION})
set(PROJECT_VERSION_MAJOR ${MAJOR})
set(PROJECT_VERSION_MINOR ${MINOR})
set(PROJECT_VERSION_PATCH ${PATCH})
configure_file(${TEMPLATE} ${OUT} @ONLY)
