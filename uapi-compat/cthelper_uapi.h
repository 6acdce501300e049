// nfnetlink_queue configuration and nfnetlink_cthelper message types and
// attribute numbers (linux/netfilter/nfnetlink_queue.h,
// nfnetlink_cthelper.h): only what conntrackd's Helper { } start-up sends.
// Self-contained for the same reason as nl_uapi.h.
#pragma once
#include <cstdint>

namespace uapi {

constexpr uint8_t kNfnlSubsysQueue = 3;
constexpr uint8_t kNfnlSubsysCthelper = 9;

// nfnetlink_queue
constexpr uint8_t kNfqnlMsgConfig = 2;
enum NfqaCfg : uint16_t {
  kNfqaCfgCmd = 1, kNfqaCfgParams = 2, kNfqaCfgQueueMaxlen = 3, kNfqaCfgMask = 4,
  kNfqaCfgFlags = 5,
};
enum NfqnlCfgCmd : uint8_t {
  kNfqnlCfgCmdBind = 1, kNfqnlCfgCmdUnbind = 2, kNfqnlCfgCmdPfBind = 3, kNfqnlCfgCmdPfUnbind = 4,
};
constexpr uint8_t kNfqnlCopyPacket = 2;
constexpr uint32_t kNfqaCfgFConntrack = 1u << 1;

// struct nfqnl_msg_config_cmd
struct NfqCfgCmd {
  uint8_t command;
  uint8_t pad;
  uint16_t pf;  // network byte order
};
static_assert(sizeof(NfqCfgCmd) == 4);

// nfnetlink_cthelper
enum CthelperMsg : uint8_t { kCthelperMsgNew = 0, kCthelperMsgGet = 1, kCthelperMsgDel = 2 };
enum NfcthAttr : uint16_t {
  kNfcthName = 1, kNfcthTuple = 2, kNfcthQueueNum = 3, kNfcthPolicy = 4, kNfcthPrivDataLen = 5,
  kNfcthStatus = 6,
};
enum NfcthTupleAttr : uint16_t { kNfcthTupleL3protonum = 1, kNfcthTupleL4protonum = 2 };
enum NfcthPolicySetAttr : uint16_t { kNfcthPolicySetNum = 1, kNfcthPolicySet1 = 2 };
enum NfcthPolicyAttr : uint16_t {
  kNfcthPolicyName = 1, kNfcthPolicyExpectMax = 2, kNfcthPolicyExpectTimeout = 3,
};
constexpr uint32_t kNfcthStatusEnabled = 1;

}  // namespace uapi
