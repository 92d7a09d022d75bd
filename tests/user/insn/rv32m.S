/* RV32M: every multiply and divide over every pair of the value table: division and
 * remainder by zero, INT_MIN / -1 and INT_MIN % -1 (overflow), the high products of
 * signed x signed, signed x unsigned and unsigned x unsigned; x0 as destination. */
#include "common.h"
  .option norvc
TEST_BEGIN
  FOR_PAIRS mul
  FOR_PAIRS mulh
  FOR_PAIRS mulhsu
  FOR_PAIRS mulhu
  FOR_PAIRS div
  FOR_PAIRS divu
  FOR_PAIRS rem
  FOR_PAIRS remu
  li t1, 7
  li t2, 0
  div zero, t1, t2
  mul x0, t1, t1
  SHOW zero
TEST_END
