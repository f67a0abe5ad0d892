# The layering check (scripts/check-deps.sh): the #includes and custos:: links of
# each folder point only down the layers that its README allows.
# Included from the top-level CMakeLists.txt after enable_testing().
find_program(CUSTOS_BASH bash REQUIRED)
add_test(NAME layering
  COMMAND ${CUSTOS_BASH} ${PROJECT_SOURCE_DIR}/scripts/check-deps.sh ${PROJECT_SOURCE_DIR})
# The checker itself: planted faults must be caught, a clean tree must pass.
add_test(NAME layering_self_test
  COMMAND ${CUSTOS_BASH} ${PROJECT_SOURCE_DIR}/scripts/check-deps.sh --self-test)
set_tests_properties(layering layering_self_test PROPERTIES LABELS "lint" TIMEOUT 60)
