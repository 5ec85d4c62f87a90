/** Forceful expiration: a NodeClaim is deleted at creation + spec.expireAfter. */
package dev.karpenter.nodeclaim.expiration;
