/* domain/svc_audit.c - the audit hook of account changes (svc_int.h:
 * svc_audit_account). The audit trail of a later issue records its entries here;
 * until then each change made through the API is one log line, so that a node
 * admin's acts in other organisations leave a trace today. */
#include "domain/svc_int.h"
#include "util/log.h"

static const char *const event_names[] = {
    [SVC_EV_ORG_ADD] = "org-add",         [SVC_EV_USER_ADD] = "user-add",
    [SVC_EV_USER_DISABLE] = "user-disable", [SVC_EV_USER_ENABLE] = "user-enable",
    [SVC_EV_KEY_ISSUE] = "key-issue",     [SVC_EV_KEY_REVOKE] = "key-revoke",
    [SVC_EV_KEY_ROTATE] = "key-rotate",   [SVC_EV_KEY_CHANGE] = "key-change",
};

void svc_audit_account(const struct principal *p, enum svc_account_event ev, const struct store_user *user,
                       int64_t org_id, int64_t key_id)
{
    /* the console's operator works at the store's files: its acts are its own */
    if (principal_is_console(p))
        return;
    /* names are handles (a-z, 0-9, '.', '-', '_', '@'): nothing to escape */
    MZ_LOG(MZ_LOG_INFO, "event=account action=%s actor=%s actor_org=%s user=%s org_id=%lld key=%lld cross_org=%d",
           event_names[ev], p->user.name, p->org.name, user ? user->name : "-", (long long)org_id,
           (long long)key_id, org_id != p->org.id);
}
