"""The IAM evaluator against the examples of AWS's documentation (each test names its page)."""

from __future__ import annotations

import pytest

from components.access.iam_eval import Principal, Request, UnsupportedPolicy, evaluate

ACCOUNT = "111122223333"
SECRET = f"arn:aws:secretsmanager:us-east-2:{ACCOUNT}:secret:SecretName-AbCdEf"
ISSUER = "oidc.eks.region-code.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
PROVIDER = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{ISSUER}"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/my-role"


def allow(action: object, resource: object = "*", **extra: object) -> dict[str, object]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def policy(*statements: dict[str, object]) -> dict[str, object]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def test_nothing_allows_by_default() -> None:
    # reference_policies_evaluation-logic: "By default, all requests are implicitly denied".
    assert evaluate([], Request("secretsmanager:GetSecretValue", SECRET)).decision == "implicit-deny"


def test_explicit_deny_overrides_allow_in_any_policy() -> None:
    # reference_policies_evaluation-logic: "An explicit deny in any policy overrides any allows."
    allowing = policy(allow("secretsmanager:*", SECRET))
    denying = policy({"Sid": "NoSecrets", "Effect": "Deny", "Action": "secretsmanager:GetSecretValue",
                      "Resource": "*"})
    result = evaluate([allowing, denying], Request("secretsmanager:GetSecretValue", SECRET))
    assert (result.decision, result.statement) == ("explicit-deny", "NoSecrets")
    assert evaluate([allowing, denying], Request("secretsmanager:DescribeSecret", SECRET)).allowed


def test_secret_name_suffix_matches_the_six_random_characters_only() -> None:
    # Secrets Manager reference_iam-permissions#iam-resources: "SecretName-??????" for the six characters that
    # Secrets Manager appends; "SecretName*" would also match SecretName-other.
    document = policy(allow("secretsmanager:GetSecretValue",
                            f"arn:aws:secretsmanager:us-east-2:{ACCOUNT}:secret:SecretName-??????"))

    def reads(arn: str) -> bool:
        return evaluate([document], Request("secretsmanager:GetSecretValue", arn)).allowed

    assert reads(SECRET)
    assert not reads(f"arn:aws:secretsmanager:us-east-2:{ACCOUNT}:secret:SecretName-other-AbCdEf")
    assert not reads(f"arn:aws:secretsmanager:us-east-2:{ACCOUNT}:secret:SecretName")
    # A policy that names the secret without the suffix never matches its real ARN.
    bare = policy(allow("secretsmanager:GetSecretValue",
                        f"arn:aws:secretsmanager:us-east-2:{ACCOUNT}:secret:SecretName"))
    assert not evaluate([bare], Request("secretsmanager:GetSecretValue", SECRET)).allowed


def test_actions_match_case_insensitively_with_wildcards_and_resources_case_sensitively() -> None:
    # reference_policies_elements_action: action names are not case sensitive; "*" and "?" are wildcards.
    document = policy(allow("SecretsManager:Get*Value", "arn:aws:secretsmanager:*:*:secret:app/*"))
    arn = f"arn:aws:secretsmanager:us-east-2:{ACCOUNT}:secret:app/db-AbCdEf"
    assert evaluate([document], Request("secretsmanager:getsecretvalue", arn)).allowed
    assert not evaluate([document], Request("secretsmanager:getsecretvalue", arn.replace("app/", "App/"))).allowed
    assert evaluate([policy(allow("secretsmanager:?escribeSecret"))],
                    Request("secretsmanager:DescribeSecret", arn)).allowed


def test_not_action_and_not_resource_match_everything_they_do_not_list() -> None:
    # reference_policies_elements_notaction / _notresource.
    document = policy({"Effect": "Allow", "NotAction": "iam:*", "NotResource": f"arn:aws:s3:::{ACCOUNT}-logs"})
    assert evaluate([document], Request("secretsmanager:GetSecretValue", SECRET)).allowed
    assert not evaluate([document], Request("iam:CreateUser", "*")).allowed
    assert not evaluate([document], Request("s3:GetObject", f"arn:aws:s3:::{ACCOUNT}-logs")).allowed


def test_condition_key_names_ignore_case_and_string_equals_values_do_not() -> None:
    # reference_policies_elements_condition: "aws:SourceIP is equivalent to AWS:SourceIp"; StringEquals on
    # aws:username "johndoe" denies "JohnDoe"; StringEqualsIgnoreCase matches it.
    exact = policy(allow("s3:*", Condition={"StringEquals": {"aws:username": "johndoe"}}))
    loose = policy(allow("s3:*", Condition={"StringEqualsIgnoreCase": {"aws:username": "johndoe"}}))
    assert evaluate([exact], Request("s3:ListBucket", context={"AWS:UserName": "johndoe"})).allowed
    assert not evaluate([exact], Request("s3:ListBucket", context={"aws:username": "JohnDoe"})).allowed
    assert evaluate([loose], Request("s3:ListBucket", context={"aws:username": "JohnDoe"})).allowed


def test_string_like_takes_wildcards_and_string_equals_does_not() -> None:
    # reference_policies_elements_condition_operators#Conditions_String.
    like = policy(allow("sts:*", Condition={"StringLike": {f"{ISSUER}:sub": "system:serviceaccount:team-*:*"}}))
    equals = policy(allow("sts:*", Condition={"StringEquals": {f"{ISSUER}:sub": "system:serviceaccount:team-*:*"}}))
    context = {f"{ISSUER}:sub": "system:serviceaccount:team-a:app"}
    assert evaluate([like], Request("sts:AssumeRoleWithWebIdentity", context=context)).allowed
    assert not evaluate([equals], Request("sts:AssumeRoleWithWebIdentity", context=context)).allowed
    assert not evaluate([like], Request("sts:AssumeRoleWithWebIdentity",
                                        context={f"{ISSUER}:sub": "system:serviceaccount:Team-a:app"})).allowed


def test_values_of_a_key_are_or_and_keys_and_operators_are_and() -> None:
    # reference_policies_condition-logic-multiple-context-keys-or-values.
    document = policy(allow("s3:*", Condition={
        "StringEquals": {"aws:PrincipalTag/team": ["a", "b"], "aws:PrincipalTag/env": "prod"},
        "Bool": {"aws:SecureTransport": True},
    }))
    base = {"aws:PrincipalTag/team": "b", "aws:PrincipalTag/env": "prod", "aws:SecureTransport": True}
    assert evaluate([document], Request("s3:GetObject", context=base)).allowed
    assert not evaluate([document], Request("s3:GetObject", context={**base, "aws:PrincipalTag/team": "c"})).allowed
    assert not evaluate([document], Request("s3:GetObject", context={**base, "aws:PrincipalTag/env": "dev"})).allowed
    assert not evaluate([document], Request("s3:GetObject", context={**base, "aws:SecureTransport": False})).allowed


def test_a_missing_key_fails_positive_operators_and_satisfies_negated_and_if_exists() -> None:
    # reference_policies_elements_condition_operators: "If the key ... is not present in the request context, the
    # values do not match"; StringNotLike/ArnNotLike are then true; ...IfExists is true.
    def holds(condition: dict[str, object]) -> bool:
        return evaluate([policy(allow("s3:*", Condition=condition))], Request("s3:GetObject")).allowed

    assert not holds({"StringEquals": {"aws:PrincipalTag/team": "a"}})
    assert holds({"StringNotLike": {"aws:PrincipalTag/team": "a*"}})
    assert holds({"ArnNotLike": {"aws:SourceArn": "arn:aws:eks:*:*:cluster/*"}})
    assert holds({"StringEqualsIfExists": {"aws:PrincipalTag/team": "a"}})
    assert holds({"Null": {"aws:PrincipalTag/team": "true"}})
    assert not holds({"Null": {"aws:PrincipalTag/team": "false"}})


def test_arn_like_matches_each_of_the_six_parts_on_its_own() -> None:
    # reference_policies_elements_condition_operators#Conditions_ARN: "Each of the six colon-delimited components
    # of the ARN is checked separately and each can include wildcards".
    cluster = f"arn:aws:eks:us-west-2:{ACCOUNT}:cluster/my-cluster"

    def matches(pattern: str) -> bool:
        document = policy(allow("sts:*", Condition={"ArnLike": {"aws:SourceArn": pattern}}))
        return evaluate([document], Request("sts:AssumeRole", context={"aws:SourceArn": cluster})).allowed

    assert matches(f"arn:aws:eks:*:{ACCOUNT}:cluster/*")
    assert matches(cluster)
    assert not matches("arn:aws:eks:*:444455556666:cluster/*")
    assert not matches("arn:aws:eks:*")  # a wildcard does not run across parts


def test_irsa_trust_of_the_eks_user_guide() -> None:
    # EKS user guide, associate-service-account-role: Federated OIDC provider, StringEquals on :sub and :aud.
    trust = policy({"Effect": "Allow", "Principal": {"Federated": PROVIDER},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {"StringEquals": {
                        f"{ISSUER}:aud": "sts.amazonaws.com",
                        f"{ISSUER}:sub": "system:serviceaccount:default:my-service-account"}}})
    token = {f"{ISSUER}:sub": "system:serviceaccount:default:my-service-account", f"{ISSUER}:aud": "sts.amazonaws.com"}

    def assumes(principal: Principal, context: dict[str, str]) -> bool:
        return evaluate([trust], Request("sts:AssumeRoleWithWebIdentity", ROLE, principal, context)).allowed

    assert assumes(Principal("Federated", PROVIDER), token)
    assert not assumes(Principal("Federated", PROVIDER), {**token, f"{ISSUER}:sub": "system:serviceaccount:other:x"})
    assert not assumes(Principal("Federated", PROVIDER), {**token, f"{ISSUER}:aud": "pods.eks.amazonaws.com"})
    assert not assumes(Principal("Federated", PROVIDER.replace("EXAMPLE", "OTHER")), token)


def test_pod_identity_trust_with_source_and_session_tag_conditions() -> None:
    # EKS user guide, pod-id-role (aws:SourceAccount, aws:SourceArn) and pod-id-abac (session tags
    # kubernetes-namespace, kubernetes-service-account, eks-cluster-arn).
    cluster = f"arn:aws:eks:us-west-2:{ACCOUNT}:cluster/my-cluster"
    trust = policy({"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"},
                    "Action": ["sts:AssumeRole", "sts:TagSession"],
                    "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT,
                                                   "aws:RequestTag/kubernetes-namespace": "prod",
                                                   "aws:RequestTag/kubernetes-service-account": "app",
                                                   "aws:RequestTag/eks-cluster-arn": cluster},
                                  "ArnEquals": {"aws:SourceArn": cluster}}})
    context = {"aws:SourceAccount": ACCOUNT, "aws:SourceArn": cluster, "aws:requesttag/Kubernetes-Namespace": "prod",
               "aws:RequestTag/kubernetes-service-account": "app", "aws:RequestTag/eks-cluster-arn": cluster}
    pods = Principal("Service", "pods.eks.amazonaws.com")
    for action in ("sts:AssumeRole", "sts:TagSession"):
        assert evaluate([trust], Request(action, ROLE, pods, context)).allowed
    for key, other in (("aws:RequestTag/kubernetes-service-account", "worker"),
                       ("aws:requesttag/Kubernetes-Namespace", "PROD"), ("aws:SourceAccount", "444455556666"),
                       ("aws:SourceArn", cluster.replace("my-cluster", "other"))):
        assert not evaluate([trust], Request("sts:AssumeRole", ROLE, pods, {**context, key: other})).allowed
    assert not evaluate([trust], Request("sts:AssumeRole", ROLE, Principal("Service", "ec2.amazonaws.com"),
                                         context)).allowed


def test_key_policy_root_statement_delegates_to_iam_and_via_service_pins_secrets_manager() -> None:
    # KMS developer guide, key-policy-default-allow-root-enable-iam, and conditions-kms-via-service.
    key = f"arn:aws:kms:us-west-2:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    key_policy = policy({"Sid": "Enable IAM User Permissions", "Effect": "Allow",
                         "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"})
    request = Request("kms:Decrypt", key, Principal("AWS", ROLE),
                      {"kms:ViaService": "secretsmanager.us-west-2.amazonaws.com"})
    result = evaluate([key_policy], request)
    assert result.allowed and result.through_account
    named = policy({"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "kms:Decrypt", "Resource": "*"})
    assert not evaluate([named], request).through_account
    iam = policy(allow("kms:Decrypt", key, Condition={
        "StringEquals": {"kms:ViaService": "secretsmanager.us-west-2.amazonaws.com"}}))
    assert evaluate([iam], Request("kms:Decrypt", key, None, request.context)).allowed
    assert not evaluate([iam], Request("kms:Decrypt", key, None,
                                       {"kms:ViaService": "s3.us-west-2.amazonaws.com"})).allowed
    assert not evaluate([iam], Request("kms:Decrypt", key)).allowed


def test_policy_variables_take_the_request_value() -> None:
    # reference_policies_variables: ${aws:PrincipalTag/...} in a resource; a missing key matches nothing.
    document = policy(allow("secretsmanager:GetSecretValue",
                            f"arn:aws:secretsmanager:*:{ACCOUNT}:secret:${{aws:PrincipalTag/kubernetes-namespace}}/*"))
    arn = f"arn:aws:secretsmanager:us-east-2:{ACCOUNT}:secret:prod/app/db-AbCdEf"
    assert evaluate([document], Request("secretsmanager:GetSecretValue", arn,
                                        context={"aws:PrincipalTag/kubernetes-namespace": "prod"})).allowed
    assert not evaluate([document], Request("secretsmanager:GetSecretValue", arn,
                                            context={"aws:PrincipalTag/kubernetes-namespace": "dev"})).allowed
    assert not evaluate([document], Request("secretsmanager:GetSecretValue", arn)).allowed


def test_set_operators_on_multivalued_keys() -> None:
    # reference_policies_condition-single-vs-multi-valued-context-keys.
    all_values = policy(allow("sts:TagSession", Condition={
        "ForAllValues:StringEquals": {"aws:TagKeys": ["kubernetes-namespace", "kubernetes-service-account"]}}))
    any_value = policy(allow("sts:TagSession", Condition={"ForAnyValue:StringLike": {"aws:TagKeys": "eks-*"}}))
    assert evaluate([all_values], Request("sts:TagSession", context={"aws:TagKeys": ["kubernetes-namespace"]})).allowed
    assert not evaluate([all_values], Request("sts:TagSession",
                                              context={"aws:TagKeys": ["kubernetes-namespace", "team"]})).allowed
    assert evaluate([any_value], Request("sts:TagSession", context={"aws:TagKeys": ["x", "eks-cluster-arn"]})).allowed


def test_unimplemented_operators_are_refused_not_guessed() -> None:
    document = policy(allow("s3:*", Condition={"NumericLessThan": {"s3:max-keys": "10"}}))
    with pytest.raises(UnsupportedPolicy, match="NumericLessThan"):
        evaluate([document], Request("s3:ListBucket", context={"s3:max-keys": "5"}))
