// Process copies: creation, destruction and the faults of their VMM. Layer: proc.
#include "proc/copy.hpp"

#include "hal/remote.hpp"
#include "mm/kmem.hpp"
#include "proc/services.hpp"

namespace mkh::proc {

namespace {

// The copy's reference as its VMM sees it: the generation by remote load, vsegs and entries
// by RPC to the reference's cluster.
class Reference final : public vmm::VmmReference {
 public:
  explicit Reference(hal::Xptr<Process> process) : m_process(process) {}

  uint64_t generation() override {
    return hal::remote_load(m_process.field(&Process::m_vmm).field(&vmm::Vmm::m_generation));
  }

  Result<vmm::Vseg> get_vseg(uint32_t address) override {
    const hal::Xptr<vmm::Vseg> found = TRY(rpc::rpc_call<rpc::RPC_VMM_GET_VSEG>(server(), process(), address));
    // Read after the answer, while the reference may change it: the caller checks the
    // generation before it trusts what it read.
    vmm::Vseg vseg;
    vseg.m_type = hal::remote_load(found.field(&vmm::Vseg::m_type));
    vseg.m_base = hal::remote_load(found.field(&vmm::Vseg::m_base));
    vseg.m_size = hal::remote_load(found.field(&vmm::Vseg::m_size));
    vseg.m_prot = hal::remote_load(found.field(&vmm::Vseg::m_prot));
    vseg.m_file_offset = hal::remote_load(found.field(&vmm::Vseg::m_file_offset));
    vseg.m_file_size = hal::remote_load(found.field(&vmm::Vseg::m_file_size));
    vseg.m_mapper = hal::remote_load(found.field(&vmm::Vseg::m_mapper));
    vseg.m_cxy = hal::remote_load(found.field(&vmm::Vseg::m_cxy));
    return vseg;
  }

  Result<uint64_t> get_pte(uint32_t vpn, bool write) override {
    const auto [attr, ppn] = TRY(rpc::rpc_call<rpc::RPC_VMM_GET_PTE>(server(), process(), vpn, write));
    return vmm::gpt_entry(ppn << hal::kPageShift, attr);
  }

 private:
  hal::cxy_t server() const { return m_process.cxy(); }
  Process* process() const { return m_process.host_ptr(); }  // a pointer local to the server, not followed here

  hal::Xptr<Process> m_process;
};

}  // namespace

Result<Process*> process_copy_create(hal::Xptr<Process> reference) {
  if (reference.is_null() || reference.cxy() == hal::local_cxy() ||
      !hal::remote_load(reference.field(&Process::m_reference)).is_null())
    return error(Errno::kInval);
  auto owner = TRY(mm::KmemOwner<Process>::make());
  Process* copy = owner.get();
  TRY(vmm::vmm_init(&copy->m_vmm));
  libk::list_root_init(&copy->m_futex_waiters);
  copy->m_pid = hal::remote_load(reference.field(&Process::m_pid));
  copy->m_ppid = hal::remote_load(reference.field(&Process::m_ppid));
  copy->m_ref_cxy = reference.cxy();
  copy->m_reference = reference;
  return owner.release();
}

void process_copy_destroy(Process* copy) {
  vmm::vmm_destroy(&copy->m_vmm);
  copy->m_magic = 0;
  mm::kmem_delete(copy);
}

Result<uint64_t> process_copy_get_pte(Process* copy, uint32_t address, uint32_t access) {
  if (copy->m_reference.is_null()) return error(Errno::kInval);
  Reference reference(copy->m_reference);
  return vmm::vmm_copy_get_pte(&copy->m_vmm, reference, address, access);
}

}  // namespace mkh::proc
